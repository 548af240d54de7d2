"""Routes of the django-helpdesk peer.

``/helpdesk/`` is helpdesk as its install docs mount it (its REST API under
``/helpdesk/api/``, unchanged). ``/helpdesk-direct/api/tickets/<id>/`` is the same fetch
without the loop over every visible ticket (direct_fetch.py says why).
"""

from direct_fetch import DirectFetchTicketViewSet
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
    path(
        "helpdesk-direct/api/tickets/<int:pk>/",
        DirectFetchTicketViewSet.as_view({"get": "retrieve"}),
        name="direct-ticket-detail",
    ),
]
