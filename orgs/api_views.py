from django.contrib.auth import get_user_model
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import OrgScopedMixin
from .models import Membership
from .services import member_create


class TokenView(APIView):
    """POST {"username", "password"} -> {"token"}."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = AuthTokenSerializer

    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MemberSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="membership.role", read_only=True)
    password = serializers.CharField(write_only=True, min_length=8, style={"input_type": "password"})
    email = serializers.EmailField()

    class Meta:
        model = get_user_model()
        fields = ["id", "email", "first_name", "last_name", "role", "password"]


class VolunteerListCreate(OrgScopedMixin, generics.ListCreateAPIView):
    queryset = get_user_model().objects.select_related("membership").order_by("id")
    org_lookup = "membership__organization"
    serializer_class = MemberSerializer
    ordering_fields = ["id", "email", "first_name", "last_name"]
    filterset_fields = ["membership__role"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = member_create(
            organization=self.org,
            email=data["email"],
            password=data["password"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            role=Membership.Role.VOLUNTEER,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self.get_serializer(serializer.instance).data, status=status.HTTP_201_CREATED)
