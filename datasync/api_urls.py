from django.urls import path

from . import api

urlpatterns = [
    path("crm/connections/", api.ConnectionListCreate.as_view(), name="api-crm-connections"),
    path("crm/connections/<int:pk>/", api.ConnectionDetail.as_view(), name="api-crm-connection"),
    path("crm/connections/<int:pk>/test/", api.ConnectionTest.as_view(), name="api-crm-connection-test"),
    path("crm/connections/<int:pk>/catalog/", api.ConnectionCatalog.as_view(), name="api-crm-connection-catalog"),
    path("actions/<int:pk>/sync_mappings/", api.ActionMappings.as_view(), name="api-action-sync-mappings"),
    path("actions/<int:pk>/sync_mappings/<int:mapping_id>/", api.ActionMappingDetail.as_view(), name="api-action-sync-mapping"),
    path("actions/<int:pk>/datasync/", api.ActionDatasync.as_view(), name="api-action-datasync"),
    path("actions/<int:pk>/datasync/items/", api.ActionItems.as_view(), name="api-action-datasync-items"),
    path("actions/<int:pk>/datasync/retry/", api.ActionRetry.as_view(), name="api-action-datasync-retry"),
]
