import time

from django.http import HttpResponse
from django.urls import path


def wait(request):
    """A sync view that waits ?ms= milliseconds (default 50)."""
    time.sleep(float(request.GET.get("ms", "50")) / 1000)
    return HttpResponse("ok")


def health(request):
    return HttpResponse("ok")


urlpatterns = [path("", wait), path("health", health)]
