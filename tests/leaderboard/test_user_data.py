"""Records of user data sets (``crbench datasets add``, card kind "user"): their own part of the page, in no ranking."""

import pytest

from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.render import render_html, render_markdown
from crbench.leaderboard.tables import USER_NOTE, build_leaderboard

from .factory import make_record


def _records():
    records = [make_record("deepcr", "sim_decam", metrics={"tpr_at_fpr_1e-4": 0.9}),
               make_record("astroscrappy", "sim_decam", metrics={"tpr_at_fpr_1e-4": 0.5}, output_kind="mask")]
    for detector, value in (("deepcr", 0.1), ("astroscrappy", 0.99)):
        # family decam, which has published figures: a user set must never show them
        record = make_record(detector, "mine", family="decam", metrics={"tpr_at_fpr_1e-4": value},
                             output_kind="mask" if detector == "astroscrappy" else "score")
        record["dataset"]["card"] = {"kind": "user"}
        records.append(record)
    return records


def test_user_sets_have_their_own_section_and_never_vote_in_a_ranking():
    leaderboard = build_leaderboard(collect_records(_records()))
    assert [section.group.kind for section in leaderboard.sections] == ["standard", "user"]
    assert leaderboard.sections[1].title.startswith("User data set: mine")
    assert list(leaderboard.ranking.frame["detector"]) == ["deepcr", "astroscrappy"]
    assert not any("mine" in column for column in leaderboard.ranking.frame.columns)
    assert leaderboard.real_ranking is None
    assert not any("published" in column for column in leaderboard.sections[1].table1.frame.columns)


@pytest.mark.parametrize("render", [render_markdown, render_html])
def test_page_states_what_user_numbers_are(render):
    collection = collect_records(_records())
    text = render(build_leaderboard(collection), collection)
    assert "User data sets" in text and "are not in any ranking" in text and "are not in any ranking" in USER_NOTE
