from django.urls import path

from . import statement_views, views

app_name = "fund_budget"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clearing/<int:pk>.xlsx", views.clearing_xlsx, name="clearing-xlsx"),
    path("clearing/<int:year>/all.xlsx", views.clearing_year_xlsx, name="clearing-year-xlsx"),
    path("statements/", statement_views.statement_list, name="statements"),
    path("statements/<int:pk>/", statement_views.statement_detail, name="statement"),
    path("statements/<int:pk>.xlsx", statement_views.statement_xlsx, name="statement-xlsx"),
    path("statements/<int:pk>.pdf", statement_views.statement_pdf, name="statement-pdf"),
    path("statements/<int:pk>/reopen/", statement_views.statement_reopen, name="statement-reopen"),
    path("reopenings/<int:pk>/approve/", statement_views.reopening_approve, name="reopening-approve"),
    path("statements/<str:month>/all.xlsx", statement_views.month_xlsx, name="statements-month-xlsx"),
    path("clearings/", statement_views.clearing_list, name="clearings"),
    path("clearings/<int:pk>/", statement_views.clearing_detail, name="clearing"),
    path("clearings/<int:pk>.pdf", statement_views.clearing_pdf, name="clearing-pdf"),
    path("negotiations/", views.negotiation_list, name="negotiations"),
    path("negotiations/<int:pk>/", views.negotiation_detail, name="negotiation"),
]
