from django.urls import path

from learning.views import account as views_account
from learning.views import anki as views_anki
from learning.views import auth as views_auth
from learning.views import cards as views_cards
from learning.views import courses as views_courses
from learning.views import learner as views
from learning.views import reports
from learning.views import study as views_study

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("study/", views_study.study_today, name="study"),
    path("study/custom/", views_study.study_custom, name="study_custom"),
    path("study/answer/", views_study.study_answer, name="study_answer"),
    path("study/feedback/", views_study.study_feedback, name="study_feedback"),
    path("study/rate/", views_study.study_rate, name="study_rate"),
    path("study/undo/", views_study.study_undo, name="study_undo"),
    path("study/hold/", views_cards.study_hold, name="study_hold"),
    path("study/note/", views_cards.study_note, name="study_note"),
    path("cards/held/", views_cards.cards_held, name="cards_held"),
    path("cards/<int:pk>/", views.card_detail, name="card"),
    path("cards/<int:pk>/release/", views_cards.card_release, name="card_release"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/exam/", views.exam_edit, name="exam"),
    path("bank/", views.bank, name="bank"),
    path("accounts/signup/", views_auth.signup, name="signup"),
    path("accounts/verify-email/", views_auth.email_verify_send, name="email_verify_send"),
    path("accounts/verify-email/<str:token>/", views_auth.email_verify, name="email_verify"),
    path("my-data/", views_account.account, name="account"),
    path("my-data/spinequiz.json", views_account.account_data, name="account_data"),
    path("my-data/reviews.csv", views_account.account_reviews_csv, name="account_reviews_csv"),
    path("my-data/delete/", views_account.account_delete, name="account_delete"),
    # Courses, decks and assignments: the learner's side
    path("join/", views_courses.join, name="join"),
    path("assignments/", views_courses.assignments, name="assignments"),
    path("decks/", views_courses.decks, name="decks"),
    path("decks/new/", views_courses.deck_new, name="deck_new"),
    path("decks/<int:pk>/", views_courses.deck_edit, name="deck"),
    path("decks/<int:pk>/delete/", views_courses.deck_delete, name="deck_delete"),
    path("decks/<int:pk>/anki.apkg", views_anki.deck_anki, name="deck_anki"),
    path("assignments/<int:pk>/anki.apkg", views_anki.assignment_anki, name="assignment_anki"),
    # ... and the instructor's
    path("teach/", views_courses.teach, name="teach"),
    path("teach/courses/new/", views_courses.course_new, name="teach_course_new"),
    path("teach/courses/<int:pk>/", views_courses.course_detail, name="teach_course"),
    path(
        "teach/courses/<int:pk>/code/", views_courses.course_code_rotate, name="teach_code_rotate"
    ),
    path("teach/courses/<int:pk>/enrol/", views_courses.course_enrol, name="teach_enrol"),
    path(
        "teach/courses/<int:pk>/learners/<int:learner_pk>/remove/",
        views_courses.course_learner_remove,
        name="teach_learner_remove",
    ),
    path(
        "teach/courses/<int:pk>/instructors/add/",
        views_courses.course_instructor_add,
        name="teach_instructor_add",
    ),
    path(
        "teach/courses/<int:pk>/instructors/<int:user_pk>/remove/",
        views_courses.course_instructor_remove,
        name="teach_instructor_remove",
    ),
    path("teach/courses/<int:pk>/decks/new/", views_courses.course_deck_new, name="teach_deck_new"),
    path(
        "teach/courses/<int:pk>/decks/<int:deck_pk>/",
        views_courses.course_deck_edit,
        name="teach_deck",
    ),
    path(
        "teach/courses/<int:pk>/decks/<int:deck_pk>/anki.apkg",
        views_anki.course_deck_anki,
        name="teach_deck_anki",
    ),
    path(
        "teach/courses/<int:pk>/decks/<int:deck_pk>/delete/",
        views_courses.course_deck_delete,
        name="teach_deck_delete",
    ),
    path(
        "teach/courses/<int:pk>/assignments/new/",
        views_courses.course_assignment_new,
        name="teach_assignment_new",
    ),
    path(
        "teach/courses/<int:pk>/assignments/<int:assignment_pk>/",
        views_courses.course_assignment_edit,
        name="teach_assignment",
    ),
    path(
        "teach/courses/<int:pk>/assignments/<int:assignment_pk>/delete/",
        views_courses.course_assignment_delete,
        name="teach_assignment_delete",
    ),
    path("teach/courses/<int:pk>/progress/", views_courses.course_progress, name="teach_progress"),
    path(
        "teach/courses/<int:pk>/learners/<int:learner_pk>/",
        views_courses.course_learner,
        name="teach_learner",
    ),
    path(
        "teach/courses/<int:pk>/progress.csv",
        views_courses.course_progress_csv,
        name="teach_progress_csv",
    ),
    path("teach/courses/<int:pk>/items/", views_courses.course_items, name="teach_items"),
    # Asked by a report page while the task worker computes its report again.
    path(
        "teach/courses/<int:pk>/reports/<str:kind>/fresh/",
        views_courses.course_report_fresh,
        name="teach_report_fresh",
    ),
    path("questions/<int:pk>/report/", reports.question_report, name="question_report"),
]
