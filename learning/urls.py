from django.urls import path

from learning import views, views_account

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
    path("my-data/", views_account.account, name="account"),
    path("my-data/spinequiz.json", views_account.account_data, name="account_data"),
    path("my-data/reviews.csv", views_account.account_reviews_csv, name="account_reviews_csv"),
    path("my-data/delete/", views_account.account_delete, name="account_delete"),
]
