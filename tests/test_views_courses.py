"""Courses, decks and assignments through the pages: the instructor's and the learner's."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from learning.models import (
    Assignment,
    Card,
    Course,
    Deck,
    DeckFilter,
    Enrolment,
    Question,
)
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    DeckFactory,
    EditorFactory,
    EnrolmentFactory,
    InstructorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def instructor():
    return InstructorFactory()


@pytest.fixture
def course(instructor):
    return CourseFactory(instructors=[instructor], name="Spine block")


@pytest.fixture
def teacher(instructor):
    return client_for(instructor)


# Every instructor URL and action, for everyone who must be refused -------------------


@pytest.fixture
def world(instructor, course):
    """A course with a co-instructor, a learner, a deck and an assignment, and outsiders."""
    co_instructor = InstructorFactory()
    course.instructors.add(co_instructor)
    learner = UserFactory()
    EnrolmentFactory(course=course, learner=learner)
    deck = DeckFactory(course=course, levels=["L2"])
    spare_deck = DeckFactory(course=course, levels=["L3"])
    assignment = AssignmentFactory(course=course, deck=deck)
    return {
        "course": course,
        "owner": instructor,
        "co": co_instructor,
        "learner": learner,
        "deck": deck,
        "spare_deck": spare_deck,
        "assignment": assignment,
        "other_instructor": InstructorFactory(),
        "editor": EditorFactory(),
        "stranger": UserFactory(),
        "someone": UserFactory(email="newcomer@example.org"),
    }


def _due() -> str:
    return f"{timezone.localdate() + timedelta(days=10):%Y-%m-%d}"


# name, URL arguments, POST data, the owner's status for GET and for POST
INSTRUCTOR_ACTIONS = [
    ("teach", lambda w: [], lambda w: {}, 200, 405),
    ("teach_course_new", lambda w: [], lambda w: {"name": "Another"}, 200, 302),
    ("teach_course", lambda w: [w["course"].pk], lambda w: {}, 200, 405),
    ("teach_code_rotate", lambda w: [w["course"].pk], lambda w: {}, 405, 302),
    (
        "teach_enrol",
        lambda w: [w["course"].pk],
        lambda w: {"emails": "newcomer@example.org"},
        200,
        302,
    ),
    (
        "teach_learner_remove",
        lambda w: [w["course"].pk, w["learner"].pk],
        lambda w: {},
        405,
        302,
    ),
    (
        "teach_instructor_add",
        lambda w: [w["course"].pk],
        lambda w: {"who": w["other_instructor"].username},
        405,
        302,
    ),
    (
        "teach_instructor_remove",
        lambda w: [w["course"].pk, w["co"].pk],
        lambda w: {},
        405,
        302,
    ),
    (
        "teach_deck_new",
        lambda w: [w["course"].pk],
        lambda w: {"name": "New", "mode": "filter", "level": ["L1"], "action": "save"},
        200,
        302,
    ),
    (
        "teach_deck",
        lambda w: [w["course"].pk, w["deck"].pk],
        lambda w: {"name": "Changed", "mode": "filter", "level": ["L1"], "action": "save"},
        200,
        302,
    ),
    (
        "teach_deck_delete",
        lambda w: [w["course"].pk, w["spare_deck"].pk],
        lambda w: {},
        405,
        302,
    ),
    (
        "teach_assignment_new",
        lambda w: [w["course"].pk],
        lambda w: {
            "deck": w["spare_deck"].pk,
            "due_on": _due(),
            "target_percent": 80,
            "recall_percent": 90,
        },
        200,
        302,
    ),
    (
        "teach_assignment",
        lambda w: [w["course"].pk, w["assignment"].pk],
        lambda w: {
            "deck": w["deck"].pk,
            "due_on": _due(),
            "target_percent": 70,
            "recall_percent": 85,
        },
        200,
        302,
    ),
    (
        "teach_assignment_delete",
        lambda w: [w["course"].pk, w["assignment"].pk],
        lambda w: {},
        405,
        302,
    ),
    ("teach_progress", lambda w: [w["course"].pk], lambda w: {}, 200, 405),
    ("teach_progress_csv", lambda w: [w["course"].pk], lambda w: {}, 200, 405),
    ("teach_items", lambda w: [w["course"].pk], lambda w: {}, 200, 405),
]
COURSE_FREE = {"teach", "teach_course_new"}


def snapshot():
    """Everything an instructor action could change."""
    return {
        "courses": sorted(Course.objects.values_list("pk", "name", "code")),
        "instructors": sorted(
            Course.instructors.through.objects.values_list("course_id", "user_id")
        ),
        "enrolments": sorted(Enrolment.objects.values_list("course_id", "learner_id")),
        "decks": sorted(Deck.objects.values_list("pk", "name", "levels")),
        "assignments": sorted(
            Assignment.objects.values_list("pk", "deck_id", "due_on", "target_share")
        ),
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "name,args,data,owner_get,owner_post",
    INSTRUCTOR_ACTIONS,
    ids=[a[0] for a in INSTRUCTOR_ACTIONS],
)
@pytest.mark.parametrize("who", ["anonymous", "learner", "editor", "other_instructor", "owner"])
def test_every_instructor_page_and_action_refuses_whoever_may_not(
    world, who, name, args, data, owner_get, owner_post, method
):
    url = reverse(name, args=args(world))
    client = client_for(None if who == "anonymous" else world[who])
    before = snapshot()
    response = getattr(client, method)(url, data(world) if method == "post" else None)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif who in ("learner", "editor"):
        assert response.status_code == 403
        assert "This page is for instructors." in response.content.decode()
    elif who == "other_instructor" and name not in COURSE_FREE:
        assert response.status_code == 404
        assert world["course"].name not in response.content.decode()
    else:
        assert response.status_code == (owner_get if method == "get" else owner_post)
        return
    assert snapshot() == before, "a refused request changed nothing"


LEARNER_DECK_ACTIONS = [
    ("deck", "get"),
    ("deck", "post"),
    ("deck_delete", "post"),
]


@pytest.mark.parametrize("name,method", LEARNER_DECK_ACTIONS)
def test_a_learners_own_deck_is_not_found_by_anyone_else(name, method):
    owner = UserFactory()
    deck = DeckFactory(course=None, owner=owner, levels=["L2"])
    url = reverse(name, args=[deck.pk])
    data = {"name": "Mine now", "mode": "filter", "level": ["L1"], "action": "save"}
    for intruder in (UserFactory(), InstructorFactory()):
        response = getattr(client_for(intruder), method)(url, data)
        assert response.status_code == 404
    assert client_for().get(url).status_code == 302
    deck.refresh_from_db()
    assert deck.name != "Mine now" and deck.levels == ["L2"]
    response = getattr(client_for(owner), method)(url, data)
    assert response.status_code in (200, 302)


def test_a_course_deck_is_not_a_learners_deck(world):
    response = client_for(world["learner"]).get(reverse("deck", args=[world["deck"].pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["join", "assignments", "decks", "deck_new"])
def test_anonymous_visitors_are_sent_to_log_in_from_course_pages(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_learners_see_no_teach_link_and_instructors_do(world):
    learner_page = client_for(world["learner"]).get(reverse("dashboard")).content.decode()
    teacher_page = client_for(world["owner"]).get(reverse("dashboard")).content.decode()
    assert reverse("teach") not in learner_page
    assert reverse("teach") in teacher_page


# Courses and join codes ----------------------------------------------------------------


def test_an_instructor_creates_a_course_and_gets_a_join_code(teacher, instructor):
    response = teacher.post(reverse("teach_course_new"), {"name": "Lumbar spine <b>2027</b>"})
    course = Course.objects.get(name="Lumbar spine <b>2027</b>")
    assert response["Location"] == reverse("teach_course", args=[course.pk])
    assert list(course.instructors.all()) == [instructor]
    page = teacher.get(response["Location"]).content.decode()
    assert course.code_display in page
    assert "Lumbar spine &lt;b&gt;2027&lt;/b&gt;" in page and "<b>2027" not in page
    assert len(course.code) == 10 and course.code.isalnum()
    assert len({CourseFactory().code for _ in range(20)}) == 20


def test_an_empty_course_name_is_refused(teacher):
    response = teacher.post(reverse("teach_course_new"), {"name": ""})
    assert response.status_code == 422 and not Course.objects.exists()


def test_a_learner_joins_with_the_code_however_it_is_typed(course):
    learner = UserFactory()
    client = client_for(learner)
    shown = f" {course.code_display.lower()} "
    response = client.post(reverse("join"), {"code": shown})
    assert response.status_code == 302 and response["Location"] == reverse("assignments")
    assert Enrolment.objects.filter(course=course, learner=learner).exists()
    again = client.post(reverse("join"), {"code": course.code}, follow=True)
    assert "already in Spine block" in again.content.decode()
    assert Enrolment.objects.filter(course=course, learner=learner).count() == 1


def test_the_join_link_fills_in_the_code(course):
    page = client_for(UserFactory()).get(reverse("join"), {"code": course.code}).content.decode()
    assert f'value="{course.code}"' in page


def test_a_wrong_or_replaced_code_is_refused_and_enrols_nobody(teacher, course):
    old = course.code
    teacher.post(reverse("teach_code_rotate", args=[course.pk]))
    course.refresh_from_db()
    assert course.code != old
    client = client_for(UserFactory())
    for code in (old, "NOTACODE12", ""):
        response = client.post(reverse("join"), {"code": code})
        assert response.status_code == 422
    assert (
        "No course has this join code"
        in client.post(reverse("join"), {"code": old}).content.decode()
    )
    assert not Enrolment.objects.exists()
    assert client.post(reverse("join"), {"code": course.code}).status_code == 302


# Enrolling by email -----------------------------------------------------------------


def test_a_list_of_emails_enrols_every_learner(teacher, course):
    ann, bob = UserFactory(email="ann@example.org"), UserFactory(email="Bob@Example.org")
    response = teacher.post(
        reverse("teach_enrol", args=[course.pk]), {"emails": "ann@example.org\n\nbob@example.ORG\n"}
    )
    assert response.status_code == 302
    assert set(course.learners.all()) == {ann, bob}


def test_a_csv_file_with_an_email_column_enrols_its_learners(teacher, course):
    UserFactory(email="ann@example.org")
    UserFactory(email="cy@example.org")
    upload = SimpleUploadedFile(
        "class.csv",
        "name,email\r\nAnn,ann@example.org\r\nCy,cy@example.org\r\n".encode("utf-8-sig"),
    )
    response = teacher.post(reverse("teach_enrol", args=[course.pk]), {"file": upload})
    assert response.status_code == 302
    assert course.learners.count() == 2


def test_one_bad_row_enrols_nobody_and_every_bad_row_is_named(teacher, course):
    UserFactory(email="ann@example.org")
    already = UserFactory(email="dee@example.org")
    EnrolmentFactory(course=course, learner=already)
    # A second account gave the same email but never confirmed it.
    UserFactory(email="twin@example.org", username="twin1", verified=False)
    UserFactory(email="unsure@example.org", username="unsure", verified=False)
    text = "\n".join(
        [
            "ann@example.org",  # 1: fine
            "not-an-email",  # 2
            "nobody@example.org",  # 3
            "ANN@example.org",  # 4: the same as line 1
            "dee@example.org",  # 5
            "twin@example.org",  # 6: nobody confirmed it
            "<script>x</script>@example.org",  # 7
        ]
    )
    response = teacher.post(reverse("teach_enrol", args=[course.pk]), {"emails": text})
    page = response.content.decode()
    assert response.status_code == 422
    assert list(course.learners.all()) == [already], "nothing half-done"
    table = page.split('id="bad-rows"')[1].split("</table>")[0]
    for line, reason in [
        (2, "not an email address"),
        (3, "no SpineQuiz account has confirmed this email"),
        (4, "the same email as line 1"),
        (5, "already enrolled in this course"),
        (6, "no SpineQuiz account has confirmed this email"),
        (7, "not an email address"),
    ]:
        assert f"<td>{line}</td>" in table
        assert reason in table
    assert "<td>1</td>" not in table
    assert "&lt;script&gt;" in table and "<script>x" not in page


def test_a_file_that_is_not_text_is_refused(teacher, course):
    upload = SimpleUploadedFile("photo.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    response = teacher.post(reverse("teach_enrol", args=[course.pk]), {"file": upload})
    assert response.status_code == 422 and "not text" in response.content.decode()
    empty = teacher.post(reverse("teach_enrol", args=[course.pk]), {"emails": "  "})
    assert empty.status_code == 422 and "Paste some emails" in empty.content.decode()


def test_removing_a_learner_keeps_their_own_study(teacher, course):
    learner = UserFactory()
    EnrolmentFactory(course=course, learner=learner)
    question = Question.objects.in_default_decks().first()
    Card.objects.create(learner=learner, question=question)
    response = teacher.post(reverse("teach_learner_remove", args=[course.pk, learner.pk]))
    assert response.status_code == 302
    assert not course.learners.exists() and Card.objects.filter(learner=learner).exists()
    missing = teacher.post(reverse("teach_learner_remove", args=[course.pk, learner.pk]))
    assert missing.status_code == 404


# Co-instructors ---------------------------------------------------------------------


def test_a_co_instructor_is_added_by_username_and_then_teaches_the_course(teacher, course):
    colleague = InstructorFactory(email="col@example.org")
    response = teacher.post(
        reverse("teach_instructor_add", args=[course.pk]), {"who": "COL@example.org"}
    )
    assert response.status_code == 302
    assert client_for(colleague).get(reverse("teach_course", args=[course.pk])).status_code == 200


@pytest.mark.parametrize("who", ["learner", "nobody", "me"])
def test_only_other_instructors_can_be_added(teacher, course, instructor, who):
    learner = UserFactory()
    name = {"learner": learner.username, "nobody": "ghost", "me": instructor.username}[who]
    response = teacher.post(reverse("teach_instructor_add", args=[course.pk]), {"who": name})
    assert response.status_code == 422
    assert list(course.instructors.all()) == [instructor]


def test_the_last_instructor_cannot_leave(teacher, course, instructor):
    response = teacher.post(
        reverse("teach_instructor_remove", args=[course.pk, instructor.pk]), follow=True
    )
    assert "needs an instructor" in response.content.decode()
    assert list(course.instructors.all()) == [instructor]


# The deck builder ---------------------------------------------------------------------


def test_the_builder_previews_the_filter_as_it_changes(teacher, course):
    url = reverse("teach_deck_new", args=[course.pk])
    response = teacher.post(
        url,
        {"action": "preview", "name": "", "mode": "filter", "level": ["L1-L2"]},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    expected = Question.objects.in_decks([DeckFilter(levels=("L1-L2",))])
    assert response.status_code == 200 and "<html" not in page and 'id="preview"' in page
    assert f'<strong id="deck-count">{expected.count()}</strong>' in page
    assert escape(expected.order_by("position", "pk").first().prompt[:40]) in page
    assert "HX-Request" in response["Vary"]
    assert not Deck.objects.exists(), "a preview saves nothing"
    assert "This field is required" not in page


def test_without_javascript_the_preview_is_the_whole_page(teacher, course):
    response = teacher.post(
        reverse("teach_deck_new", args=[course.pk]),
        {"action": "preview", "name": "x", "mode": "filter", "topic": ["reflex"]},
    )
    assert response.status_code == 200 and "<html" in response.content.decode()
    assert 'id="deck-count"' in response.content.decode()


def test_saving_a_filter_deck(teacher, course, instructor):
    response = teacher.post(
        reverse("teach_deck_new", args=[course.pk]),
        {
            "action": "save",
            "name": "L1-L3 dermatomes and myotomes",
            "mode": "filter",
            "level": ["L1", "L2", "L3"],
            "topic": ["dermatome", "myotome"],
        },
    )
    assert response.status_code == 302
    deck = Deck.objects.get()
    assert deck.course == course and deck.owner == instructor
    assert deck.levels == ["L1", "L2", "L3"] and deck.topics == ["dermatome", "myotome"]
    edit = teacher.get(reverse("teach_deck", args=[course.pk, deck.pk])).content.decode()
    assert 'value="L2"' in edit and "checked" in edit
    assert f'<strong id="deck-count">{deck.questions().count()}</strong>' in edit


@pytest.mark.parametrize(
    "bad",
    [
        {"mode": "filter"},  # nothing chosen
        {"mode": "filter", "level": ["Z9"]},
        {"mode": "filter", "kind": ["essay"]},
        {"mode": "filter", "fact": ["abc"]},
        {"mode": "picked"},  # nothing picked
        {"mode": "picked", "picked": ["999999"]},
        {"mode": "picked", "picked": ["x"]},
        {"mode": "sideways", "level": ["L1"]},
    ],
)
def test_a_bad_deck_is_refused_with_a_message_and_not_saved(teacher, course, bad):
    response = teacher.post(
        reverse("teach_deck_new", args=[course.pk]), {"action": "save", "name": "Bad", **bad}
    )
    assert response.status_code == 422
    assert 'class="errorlist' in response.content.decode()
    assert not Deck.objects.exists()


def test_a_hand_picked_deck_from_the_questions_that_match(teacher, course):
    url = reverse("teach_deck_new", args=[course.pk])
    preview = teacher.post(
        url,
        {"action": "preview", "mode": "picked", "level": ["L2"], "kind": ["typed"]},
        headers={"HX-Request": "true"},
    ).content.decode()
    candidates = list(Question.objects.in_decks([DeckFilter(levels=("L2",), kinds=("typed",))]))
    assert candidates
    for question in candidates[:3]:
        assert f'name="picked" value="{question.pk}"' in preview
    picked = [candidates[0].pk, Question.objects.active().filter(default_deck=False).first().pk]
    response = teacher.post(
        url,
        {"action": "save", "name": "Picked", "mode": "picked", "level": ["L2"], "picked": picked},
    )
    assert response.status_code == 302
    deck = Deck.objects.get()
    assert set(deck.questions().values_list("pk", flat=True)) == set(picked)
    edit = teacher.get(reverse("teach_deck", args=[course.pk, deck.pk])).content.decode()
    assert f'name="picked" value="{picked[0]}" checked' in edit


def test_an_assigned_deck_cannot_be_deleted_until_its_assignment_is(teacher, course):
    assignment = AssignmentFactory(course=course)
    url = reverse("teach_deck_delete", args=[course.pk, assignment.deck.pk])
    response = teacher.post(url, follow=True)
    assert "delete its assignments before the deck" in response.content.decode()
    assert Deck.objects.filter(pk=assignment.deck.pk).exists()
    teacher.post(reverse("teach_assignment_delete", args=[course.pk, assignment.pk]))
    teacher.post(url)
    assert not Deck.objects.filter(pk=assignment.deck.pk).exists()


def test_another_courses_deck_is_not_found_through_this_course(teacher, course, instructor):
    elsewhere = DeckFactory(course=CourseFactory(instructors=[instructor]))
    response = teacher.get(reverse("teach_deck", args=[course.pk, elsewhere.pk]))
    assert response.status_code == 404


# Assignments -----------------------------------------------------------------------------


def test_assigning_a_deck_with_a_due_date_and_a_target(teacher, course):
    deck = DeckFactory(course=course)
    response = teacher.post(
        reverse("teach_assignment_new", args=[course.pk]),
        {"deck": deck.pk, "due_on": _due(), "target_percent": 80, "recall_percent": 90},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.target_share, assignment.target_recall) == (0.8, 0.9)
    assert assignment.due_on == timezone.localdate() + timedelta(days=10)


@pytest.mark.parametrize(
    "bad",
    [
        {"due_on": "2001-01-01"},
        {"due_on": "soon"},
        {"target_percent": 0},
        {"target_percent": 150},
        {"recall_percent": 100},
        {"deck": "999999"},
    ],
)
def test_a_bad_assignment_is_refused(teacher, course, bad):
    deck = DeckFactory(course=course)
    data = {"deck": deck.pk, "due_on": _due(), "target_percent": 80, "recall_percent": 90, **bad}
    response = teacher.post(reverse("teach_assignment_new", args=[course.pk]), data)
    assert response.status_code == 422 and not Assignment.objects.exists()


def test_a_deck_of_another_course_cannot_be_assigned(teacher, course, instructor):
    DeckFactory(course=course)
    theirs = DeckFactory(course=CourseFactory(instructors=[instructor]))
    response = teacher.post(
        reverse("teach_assignment_new", args=[course.pk]),
        {"deck": theirs.pk, "due_on": _due(), "target_percent": 80, "recall_percent": 90},
    )
    assert response.status_code == 422 and not Assignment.objects.exists()


def test_assigning_without_a_deck_sends_the_instructor_to_build_one(teacher, course):
    response = teacher.get(reverse("teach_assignment_new", args=[course.pk]))
    assert response["Location"] == reverse("teach_deck_new", args=[course.pk])


# The learner's side ----------------------------------------------------------------------


def test_a_learner_in_two_courses_sees_each_courses_assignments():
    learner = UserFactory()
    first = AssignmentFactory(deck__name="Dermatomes", course__name="Anatomy")
    second = AssignmentFactory(deck__name="Red flags", course__name="Clinics")
    unrelated = AssignmentFactory(deck__name="Not mine")
    for assignment in (first, second):
        EnrolmentFactory(course=assignment.course, learner=learner)
    page = client_for(learner).get(reverse("assignments")).content.decode()
    assert "Dermatomes" in page and "Anatomy" in page
    assert "Red flags" in page and "Clinics" in page
    assert "Not mine" not in page and unrelated.course.name not in page
    assert f"{first.due_on:%-d %B %Y}" in page


def test_a_learner_builds_their_own_deck_and_studies_from_it():
    learner = UserFactory()
    client = client_for(learner)
    response = client.post(
        reverse("deck_new"),
        {"action": "save", "name": "Reflexes", "mode": "filter", "topic": ["reflex"]},
    )
    assert response.status_code == 302 and response["Location"] == reverse("decks")
    deck = Deck.objects.get()
    assert deck.owner == learner and deck.course is None
    assert "Reflexes" in client.get(reverse("decks")).content.decode()
    study = client.get(reverse("study")).content.decode()
    held = {q.prompt for q in deck.questions()}
    assert any(prompt in study for prompt in held), "today's queue draws from the deck"


# Enrolment text the csv module cannot read --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" * 140_000,  # one field past the csv module's limit (131,072)
        "ann@example.org\n" + "y" * 140_000 + "@example.org\n",
        'ann@example.org\n"' + "z" * 200_000,  # an unclosed quote to the end
    ],
    ids=["one-huge-field", "a-huge-second-line", "unclosed-quote"],
)
def test_a_huge_csv_field_is_a_named_bad_row_not_a_server_error(teacher, course, text):
    UserFactory(email="ann@example.org")
    as_text = teacher.post(reverse("teach_enrol", args=[course.pk]), {"emails": text})
    upload = SimpleUploadedFile("class.csv", text.encode())
    as_file = teacher.post(reverse("teach_enrol", args=[course.pk]), {"file": upload})
    for response in (as_text, as_file):
        page = response.content.decode()
        assert response.status_code == 422
        assert "Nobody was enrolled" in page
        assert "far too long" in page or "not an email address" in page
        # The table names the row without echoing the whole field back.
        table = page.split('id="bad-rows"')[1].split("</table>")[0]
        assert len(table) < 2_000
    assert not course.learners.exists()


def test_pasted_emails_past_a_megabyte_are_refused_with_a_message(teacher, course):
    response = teacher.post(
        reverse("teach_enrol", args=[course.pk]), {"emails": "a@example.org\n" * 80_000}
    )
    assert response.status_code == 422
    assert "more than 1 MB" in response.content.decode()


# The founder of a course ----------------------------------------------------------------


def test_a_co_instructor_cannot_remove_the_founder_and_the_page_says_so(instructor, course):
    co = InstructorFactory()
    third = InstructorFactory()
    course.instructors.add(co, third)
    assert course.founder == instructor
    colleague = client_for(co)
    page = colleague.get(reverse("teach_course", args=[course.pk])).content.decode()
    assert "(founder)" in page and "not the founder" in page
    assert reverse("teach_instructor_remove", args=[course.pk, instructor.pk]) not in page
    refused = colleague.post(
        reverse("teach_instructor_remove", args=[course.pk, instructor.pk]), follow=True
    )
    assert "only they can take themselves off it" in refused.content.decode()
    assert instructor in course.instructors.all()
    # A co-instructor may remove another co-instructor, and the founder anyone.
    assert (
        colleague.post(reverse("teach_instructor_remove", args=[course.pk, third.pk])).status_code
        == 302
    )
    assert (
        client_for(instructor)
        .post(reverse("teach_instructor_remove", args=[course.pk, co.pk]))
        .status_code
        == 302
    )
    assert list(course.instructors.all()) == [instructor]


def test_a_founder_who_leaves_hands_the_course_to_the_longest_serving(instructor, course):
    first, second = InstructorFactory(), InstructorFactory()
    course.instructors.add(first)
    course.instructors.add(second)
    response = client_for(instructor).post(
        reverse("teach_instructor_remove", args=[course.pk, instructor.pk])
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.founder == first


def test_a_new_course_is_founded_by_its_maker(teacher, instructor):
    teacher.post(reverse("teach_course_new"), {"name": "Founded block"})
    assert Course.objects.get(name="Founded block").founder == instructor
