from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    path("category/<int:pk>/", views.category, name="category"),
    path("health", views.health, name="health"),
]
