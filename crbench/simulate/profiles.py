"""Instrument profiles: the numbers the simulator starts from, with sources.

Every number in a profile is either taken from a cited source, derived from
one (the derivation is in the comment), or calibrated by crbench (the
cosmic-ray event rate, tuned so that the undilated CR pixel fraction matches a
published figure; see :mod:`crbench.simulate.cosmics`). ``SOURCES`` of each
profile lists where the numbers come from and is copied into the data set
card.
"""

from dataclasses import dataclass, field

__all__ = ["InstrumentProfile", "CosmicRayModel", "PROFILES", "get_profile"]


@dataclass(frozen=True)
class CosmicRayModel:
    """Ground-level cosmic-ray physics of one sensor.

    Attributes
    ----------
    rate_per_cm2_s : float
        Event rate through the sensor surface (events per cm^2 per s), all
        event kinds together. Calibrated per profile (see module docstring).
    mpv_e_per_um : float
        Most probable ionisation of a minimum-ionising muon over 300 um of
        silicon, electrons per micron (about 80 e-/um; PDG, "Passage of
        particles through matter", Fig. 34.8 and Bichsel 1988). Thinner
        paths have a lower MPV per micron (PDG Eq. 34.12; see
        :func:`crbench.simulate.cosmics.muon_most_probable_charge`).
    landau_width_e_per_um : float
        Landau width parameter xi per micron of path: 0.1535 MeV cm^2/g *
        Z/A (0.4985) * rho (2.33 g/cm^3) = 17.8 eV/um, i.e. 4.95 e-/um at
        3.6 eV per electron-hole pair (PDG Eq. 34.10).
    diffusion_sigma_max_um : float
        Lateral charge-diffusion sigma for charge created at the far side of
        the sensor from the collecting gates; scales as sqrt(drift distance).
    worm_fraction, spot_fraction : float
        Fractions of events that are multiply scattered low-energy electrons
        ("worms") and compact high-charge spots; the rest are muons.
    worm_energy_kev : tuple of float
        Log-uniform range of the worm electron energy (keV). Compton
        electrons of the environmental gamma lines (K-40 1.46 MeV, Tl-208
        2.61 MeV) reach 2.4 MeV.
    spot_charge_median_e, spot_charge_sigma_ln : float
        Log-normal total charge of a compact spot.
    physics : {"v2", "v1"}
        ``v2`` (default): Landau muon ionisation with the PDG path-length
        dependence and slowing-down, Highland-scattered worm electrons that
        leave at the surfaces. ``v1``: the first model (Moyal steps, worms
        that keep all their energy, worm energies to 500 keV); the published
        version-1 data sets (``sim_decam`` 2, ``sim_lco_*`` 1) use it.
    """

    rate_per_cm2_s: float
    mpv_e_per_um: float = 80.0
    landau_width_e_per_um: float = 4.95
    diffusion_sigma_max_um: float = 4.0
    worm_fraction: float = 0.0
    spot_fraction: float = 0.1
    worm_energy_kev: tuple = (20.0, 2000.0)
    spot_charge_median_e: float = 3000.0
    spot_charge_sigma_ln: float = 0.8
    physics: str = "v2"


@dataclass(frozen=True)
class InstrumentProfile:
    """One simulated camera.

    Attributes
    ----------
    name : str
        Profile name (``"decam"``, ``"lco_1m"``).
    instrument : str
        Camera name.
    telescope_class : str or None
        LCO telescope class (``"0m4"``, ``"1m0"``, ``"2m0"``).
    pixel_scale_arcsec : float
        Arcseconds per pixel.
    pixel_size_um, thickness_um : float
        Pixel pitch (after binning) and depleted/active thickness, microns.
    bands : tuple of str
    seeing_median_arcsec : dict of str to float
        Median PSF FWHM per band.
    seeing_sigma_ln : float
        Log-normal width of the seeing distribution.
    sharp_psf_fraction : float
        Fraction of images drawn from the good-seeing tail, FWHM uniform in
        ``sharp_fwhm_px`` (stars nearly as sharp as cosmic rays).
    sharp_fwhm_px : tuple of float
    instrument_fwhm_arcsec : float
        FWHM of the instrument's own image-quality term (optics, sensor,
        guiding), combined in quadrature with the atmosphere so that no
        exposure is sharper than it. 0 disables the term (version 1: the
        drawn FWHM is the delivered one, floored at ``sharp_fwhm_px[0]``).
    exposure_range_s : tuple of float
        Exposure time is uniform in this range (a single value if equal).
    read_noise_e, gain_e_per_adu, full_well_e, dark_e_per_s : float
    units : {"electron", "adu"}
        Units of the produced images.
    sky_subtracted : bool
        Whether the produced images have the sky model subtracted.
    sky_e_per_pix_s : dict of str to float
        Sky rate per band, electrons per pixel per second.
    zero_point : dict of str to float
        Magnitude that gives 1 e-/s per band.
    star_density_at_20 : float
        Stars per arcmin^2 per magnitude at magnitude 20 (high latitude).
    galaxy_density_at_24 : float
        Galaxies per arcmin^2 per magnitude at magnitude 24.
    hot_pixel_fraction : float
    bad_columns_per_1000 : float
        Expected bad columns per 1000 image columns.
    satellite_probability : float
        Probability of a satellite trail in one image.
    bright_star_probability : float
        Probability of one extra saturated star in an image (small patches
        rarely get one from the star counts alone).
    cosmic_rays : CosmicRayModel
    sources : dict of str to str
        Where each group of numbers comes from.
    """

    name: str
    instrument: str
    telescope_class: str | None
    pixel_scale_arcsec: float
    pixel_size_um: float
    thickness_um: float
    bands: tuple
    seeing_median_arcsec: dict
    exposure_range_s: tuple
    read_noise_e: float
    gain_e_per_adu: float
    full_well_e: float
    units: str
    sky_subtracted: bool
    sky_e_per_pix_s: dict
    zero_point: dict
    cosmic_rays: CosmicRayModel
    dark_e_per_s: float = 0.0
    seeing_sigma_ln: float = 0.2
    sharp_psf_fraction: float = 0.08
    sharp_fwhm_px: tuple = (1.5, 2.5)
    instrument_fwhm_arcsec: float = 0.0
    moffat_beta_range: tuple = (2.5, 4.765)
    star_density_at_20: float = 0.3
    galaxy_density_at_24: float = 5.5
    hot_pixel_fraction: float = 5e-4
    bad_columns_per_1000: float = 0.5
    satellite_probability: float = 0.05
    bright_star_probability: float = 0.0
    sources: dict = field(default_factory=dict)

    def seeing_px(self, band):
        """Median PSF FWHM of ``band`` in pixels."""
        return self.seeing_median_arcsec[band] / self.pixel_scale_arcsec

    def to_dict(self):
        """Return a JSON-ready dict (for data set cards)."""
        import dataclasses

        return dataclasses.asdict(self)


_PDG = "PDG Review 'Passage of particles through matter' (muon MPV ~80 e-/um in Si, Landau width Eq. 34.10)"

DECAM = InstrumentProfile(
    name="decam",
    instrument="DECam",
    telescope_class=None,
    pixel_scale_arcsec=0.263,
    pixel_size_um=15.0,
    thickness_um=250.0,
    bands=("g", "r", "i", "z"),
    # DES DR1 median PSF FWHM (Abbott et al. 2018, ApJS 239, 18): g 1.12", r 0.96", i 0.88", z 0.84"
    seeing_median_arcsec={"g": 1.12, "r": 0.96, "i": 0.88, "z": 0.84},
    exposure_range_s=(90.0, 90.0),
    read_noise_e=7.0,
    gain_e_per_adu=4.0,
    full_well_e=130000.0,
    # deepCR's DECam model expects "calibrated images in the original unit (adu)" and the
    # attention-paper training code adds a separate per-image sky array to sky-subtracted patches.
    units="adu",
    sky_subtracted=True,
    # issue table: 90 s sky of g 420, r 1440, i 3900, z 10100 e-/pixel (DES wide-survey conditions)
    sky_e_per_pix_s={"g": 420 / 90, "r": 1440 / 90, "i": 3900 / 90, "z": 10100 / 90},
    # mag giving 1 e-/s; DES zero points ~25 mag in ADU/s plus 2.5 log10(gain 4) = +1.5
    zero_point={"g": 26.5, "r": 26.7, "i": 26.4, "z": 26.0},
    dark_e_per_s=0.003,  # negligible; DECam dark current < 25 e-/pixel/hour (Flaugher et al. 2015)
    cosmic_rays=CosmicRayModel(
        rate_per_cm2_s=0.049,  # calibrated: undilated CR pixel fraction 2.7e-4 in 90 s (Desai et al. 2016)
        diffusion_sigma_max_um=7.5,  # fully depleted 250 um: PSF from diffusion up to ~7-8 um
        worm_fraction=0.15,
        spot_fraction=0.05,
        spot_charge_median_e=40000.0,
        spot_charge_sigma_ln=0.8,
    ),
    bright_star_probability=0.05,
    bad_columns_per_1000=0.5,
    satellite_probability=0.02,
    sources={
        "geometry": "Flaugher et al. 2015, AJ 150, 150 (0.263\"/px, 15 um pixels, 250 um fully depleted "
        "LBNL CCDs, read noise ~7 e-, gain ~4 e-/ADU, full well > 130,000 e-)",
        "seeing": "DES DR1, Abbott et al. 2018, ApJS 239, 18 (median FWHM per band); version 2 data sets add "
        "an instrument term of 0.55\" FWHM in quadrature (DECam's optics+sensor image-quality term as stated "
        "in crbench issue 13; budget in Flaugher et al. 2015)",
        "sky": "issue #3 table (90 s DES sky levels per band)",
        "zero_point": "approximate DES zero points (about 25 mag for 1 ADU/s) converted to electrons",
        "cosmic_rays": _PDG + "; rate calibrated to Desai et al. 2016 (CR pixel fraction 2.7e-4 per 90 s)",
        "units": "deepCR docs (DECam model takes calibrated ADU); attention-paper dataset code "
        "(sky-subtracted stacks plus a per-image sky level)",
    },
)

_LCO_CR_SOURCE = _PDG + "; rate calibrated to a CR pixel fraction of ~1e-4 per LCO frame (issue #3)"

LCO_0M4 = InstrumentProfile(
    name="lco_0m4",
    instrument="SBIG STX-6303 (LCO 0.4 m)",
    telescope_class="0m4",
    pixel_scale_arcsec=0.571,
    pixel_size_um=9.0,
    thickness_um=10.0,  # front-illuminated KAF-6303E: thin active layer, ~10 um assumed
    bands=("rp",),
    seeing_median_arcsec={"rp": 2.07},
    exposure_range_s=(100.0, 300.0),
    read_noise_e=14.0,
    gain_e_per_adu=1.0,
    full_well_e=100000.0,  # KAF-6303E data sheet: 100,000 e-
    units="electron",
    sky_subtracted=False,
    sky_e_per_pix_s={"rp": 0.6},  # issue table: ~60 e-/pixel per 100 s
    # sky 20.5 mag/arcsec^2 assumed: zp = 20.5 + 2.5 log10(0.6 / 0.571^2) = 21.2
    zero_point={"rp": 21.2},
    dark_e_per_s=0.02,
    cosmic_rays=CosmicRayModel(rate_per_cm2_s=0.17, diffusion_sigma_max_um=3.0, spot_fraction=0.2),
    bad_columns_per_1000=0.7,
    satellite_probability=0.08,
    sources={
        "geometry": "LCO 0.4 m instrument page (SBIG STX-6303, 0.571\"/px, 9 um pixels); KAF-6303E data "
        "sheet (full well 100,000 e-); active thickness assumed",
        "seeing": "issue #3 table (median FWHM of the LCO CR data set frames, Xu et al. 2023)",
        "noise": "issue #3 table (read noise ~14 e-, reduced BANZAI frames in electrons)",
        "sky": "issue #3 table (~60 e-/pixel per 100 s); zero point derived for a 20.5 mag/arcsec^2 sky",
        "cosmic_rays": _LCO_CR_SOURCE,
    },
)

LCO_1M = InstrumentProfile(
    name="lco_1m",
    instrument="Sinistro (LCO 1 m)",
    telescope_class="1m0",
    pixel_scale_arcsec=0.389,
    pixel_size_um=15.0,
    thickness_um=15.0,  # back-illuminated Fairchild CCD486: thin, ~15 um assumed
    bands=("rp",),
    seeing_median_arcsec={"rp": 2.04},
    exposure_range_s=(100.0, 300.0),
    read_noise_e=8.0,
    gain_e_per_adu=1.0,
    full_well_e=120000.0,  # approximate (Fairchild CCD486 class); not from a primary source
    units="electron",
    sky_subtracted=False,
    sky_e_per_pix_s={"rp": 2.3},  # issue table: ~230 e-/pixel per 100 s
    zero_point={"rp": 23.4},  # 20.5 + 2.5 log10(2.3 / 0.389^2)
    dark_e_per_s=0.01,
    cosmic_rays=CosmicRayModel(rate_per_cm2_s=0.066, diffusion_sigma_max_um=4.0, spot_fraction=0.2),
    bad_columns_per_1000=0.5,
    satellite_probability=0.08,
    sources={
        "geometry": "LCO 1 m Sinistro instrument page (0.389\"/px, 15 um pixels, back-illuminated 4k CCD); "
        "thickness and full well approximate",
        "seeing": "issue #3 table (median FWHM of the LCO CR data set frames, Xu et al. 2023)",
        "noise": "issue #3 table (read noise ~8 e-, reduced frames in electrons)",
        "sky": "issue #3 table (~230 e-/pixel per 100 s); zero point derived for a 20.5 mag/arcsec^2 sky",
        "cosmic_rays": _LCO_CR_SOURCE,
    },
)

LCO_2M = InstrumentProfile(
    name="lco_2m",
    instrument="Spectral (LCO 2 m, 2x2 binned)",
    telescope_class="2m0",
    pixel_scale_arcsec=0.300,
    pixel_size_um=30.0,  # 15 um pixels binned 2x2
    thickness_um=15.0,
    bands=("rp",),
    seeing_median_arcsec={"rp": 1.44},
    exposure_range_s=(100.0, 300.0),
    read_noise_e=11.0,
    gain_e_per_adu=1.0,
    full_well_e=200000.0,  # binned pixels; approximate
    units="electron",
    sky_subtracted=False,
    sky_e_per_pix_s={"rp": 5.6},  # issue table: ~560 e-/pixel per 100 s
    zero_point={"rp": 25.0},  # 20.5 + 2.5 log10(5.6 / 0.3^2)
    dark_e_per_s=0.02,
    cosmic_rays=CosmicRayModel(rate_per_cm2_s=0.026, diffusion_sigma_max_um=4.0, spot_fraction=0.2),
    bad_columns_per_1000=0.5,
    satellite_probability=0.08,
    sources={
        "geometry": "LCO 2 m Spectral instrument page (0.30\"/px binned 2x2, 15 um pixels); thickness and "
        "full well approximate",
        "seeing": "issue #3 table (median FWHM of the LCO CR data set frames, Xu et al. 2023)",
        "noise": "issue #3 table (read noise ~11 e-, reduced frames in electrons)",
        "sky": "issue #3 table (~560 e-/pixel per 100 s); zero point derived for a 20.5 mag/arcsec^2 sky",
        "cosmic_rays": _LCO_CR_SOURCE,
    },
)

PROFILES = {profile.name: profile for profile in (DECAM, LCO_0M4, LCO_1M, LCO_2M)}


def get_profile(name):
    """Return the :class:`InstrumentProfile` called ``name``."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown instrument profile {name!r}; known: {sorted(PROFILES)}") from None
