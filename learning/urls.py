from django.urls import path

from learning import reports, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("study/", views.study_today, name="study"),
    path("study/custom/", views.study_custom, name="study_custom"),
    path("study/answer/", views.study_answer, name="study_answer"),
    path("study/feedback/", views.study_feedback, name="study_feedback"),
    path("study/rate/", views.study_rate, name="study_rate"),
    path("cards/<int:pk>/", views.card_detail, name="card"),
    path("settings/", views.settings_view, name="settings"),
    path("bank/", views.bank, name="bank"),
    path("accounts/signup/", views.signup, name="signup"),
    path("questions/<int:pk>/report/", reports.question_report, name="question_report"),
]
