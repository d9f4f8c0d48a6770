from django.urls import path

from . import views

app_name = "fund_budget"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clearing/<int:pk>.xlsx", views.clearing_xlsx, name="clearing-xlsx"),
    path("clearing/<int:year>/all.xlsx", views.clearing_year_xlsx, name="clearing-year-xlsx"),
    path("negotiations/", views.negotiation_list, name="negotiations"),
    path("negotiations/<int:pk>/", views.negotiation_detail, name="negotiation"),
]
