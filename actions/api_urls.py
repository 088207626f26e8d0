from django.urls import path

from . import api, api_volunteer

urlpatterns = [
    path("actions/", api.ActionListCreate.as_view(), name="api-actions"),
    path("actions/<int:pk>/", api.ActionDetail.as_view(), name="api-action"),
    path("actions/<int:pk>/contacts/", api.ContactUpload.as_view(), name="api-action-contacts"),
    path("actions/<int:pk>/send/", api.ActionSend.as_view(), name="api-action-send"),
    path("me/actions/", api_volunteer.MyActions.as_view(), name="api-me-actions"),
    path("me/actions/<int:pk>/seen/", api_volunteer.MyActionEvent.as_view(event="seen"), name="api-me-action-seen"),
    path("me/actions/<int:pk>/start/", api_volunteer.MyActionEvent.as_view(event="start"), name="api-me-action-start"),
    path("me/actions/<int:pk>/complete/", api_volunteer.MyActionEvent.as_view(event="complete"), name="api-me-action-complete"),
    path("me/actions/<int:pk>/batch/", api_volunteer.MyBatch.as_view(), name="api-me-action-batch"),
    path("me/actions/<int:pk>/conversations/", api_volunteer.MyConversations.as_view(), name="api-me-conversations"),
    path("conversations/<int:pk>/messages/", api_volunteer.ConversationMessages.as_view(), name="api-conversation-messages"),
    path("conversations/<int:pk>/report/", api_volunteer.ConversationReport.as_view(), name="api-conversation-report"),
    path("conversations/<int:pk>/opt_out/", api_volunteer.ConversationOptOut.as_view(), name="api-conversation-opt-out"),
]
