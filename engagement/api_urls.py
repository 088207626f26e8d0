from django.urls import path

from . import api, api_volunteer

urlpatterns = [
    path("actions/<int:pk>/engagement/", api.EngagementList.as_view(), name="api-engagement"),
    path("actions/<int:pk>/engagement/bulk/", api.BulkJobListCreate.as_view(), name="api-engagement-bulk"),
    path("actions/<int:pk>/engagement/bulk/<int:job_id>/", api.BulkJobDetail.as_view(), name="api-engagement-bulk-job"),
    path("actions/<int:pk>/reassignments/", api.ReassignmentListCreate.as_view(), name="api-reassignments"),
    path("actions/<int:pk>/reassignments/preview/", api.ReassignmentPreview.as_view(), name="api-reassignments-preview"),
    path(
        "actions/<int:pk>/reassignments/<int:reassignment_id>/undo/",
        api.ReassignmentUndo.as_view(),
        name="api-reassignment-undo",
    ),
    path("audit/", api.AuditList.as_view(), name="api-audit"),
    path("me/inbox/", api_volunteer.MyInbox.as_view(), name="api-me-inbox"),
    path("me/inbox/<int:pk>/read/", api_volunteer.MyInboxRead.as_view(), name="api-me-inbox-read"),
    path("me/notifications/", api_volunteer.MyNotifications.as_view(), name="api-me-notifications"),
    path("me/devices/", api_volunteer.MyDevices.as_view(), name="api-me-devices"),
]
