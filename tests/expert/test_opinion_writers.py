"""Who writes opinions: the leader and the panel's experts. A lecture's viewers (network hospitals'
doctors invited to watch) are refused with a 403 in the error shape, and their page offers no
opinion form; the presenters and the host write as before."""

from __future__ import annotations

import pytest

from core import accounts
from core.extensions import db
from hospital.models.expert import ExpertCase
from hospital.services import expert
from tests.conftest import DEMO_PASSWORD, page_login


@pytest.fixture
def login(demo_users):
    return lambda username: demo_users.login(username, DEMO_PASSWORD)["headers"]


def test_a_lecture_viewer_is_refused_and_the_panel_writes(demo_client, login, lecture):
    url = f"/api/expert-cases/{lecture.case_id}/opinions"
    viewer = lecture.viewers[0]
    refused = demo_client.post(url, json={"text": "我也想写一条意见"}, headers=login(viewer))
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["code"] == 403 and body["reason"] == "lecture_viewer" and body["message"]
    assert demo_client.get(url, headers=login(viewer)).get_json() == []  # nothing was recorded

    # The presenters and the host are the lecture's panel: they write.
    for writer in (*lecture.presenters, lecture.host):
        written = demo_client.post(url, json={"text": f"{writer} 的意见"}, headers=login(writer))
        assert written.status_code == 201, written.get_json()
    opinion_id = written.get_json()["id"]
    # A viewer cannot edit either (the refusal comes before looking for his opinion).
    edit = demo_client.patch(f"{url}/{opinion_id}", json={"text": "改写"}, headers=login(viewer))
    assert edit.status_code == 403 and edit.get_json()["reason"] == "lecture_viewer"
    # The conclusion stays the host's (leader's) alone.
    conclusion = demo_client.post(
        f"/api/expert-cases/{lecture.case_id}/conclusion",
        json={"diagnosis": "慢阻肺急性加重", "treatment_advice": "无创通气治疗", "answers": []},
        headers=login(viewer),
    )
    assert conclusion.status_code == 403


def test_a_lecture_viewers_page_offers_no_opinion_form(demo_client, lecture):
    assert not expert.writes_opinions(
        accounts.get_by_username(lecture.viewers[0]), db.session.get(ExpertCase, lecture.case_id)
    )
    page_login(demo_client, lecture.viewers[0])
    html = demo_client.get(f"/expert-cases/{lecture.case_id}").get_data(as_text=True)
    assert 'id="opinions"' in html and 'data-can-write="0"' in html
    assert 'id="opinion-form"' not in html and 'id="conclusion-form"' not in html
    page_login(demo_client, lecture.presenters[0])
    html = demo_client.get(f"/expert-cases/{lecture.case_id}").get_data(as_text=True)
    assert 'data-can-write="1"' in html and 'id="opinion-form"' in html
