from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from rest_framework import exceptions, generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from p2p_admin.security import lockout_response

from .api import OrgScopedMixin
from .models import Membership
from .openapi import ApiSchema
from .services import member_create


class TokenView(APIView):
    """POST {"username", "password"} -> {"token"}."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = AuthTokenSerializer
    schema = ApiSchema()

    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # django-axes marks the request it refused; the answer says so (429) instead of "wrong password".
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        # A token exchange is a login: last_login moves and django-axes forgets the failures it counted.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
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
            actor=self.request.user,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self.get_serializer(serializer.instance).data, status=status.HTTP_201_CREATED)
