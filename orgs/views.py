from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from .selectors import member_actions
from .tenancy import is_org_admin, membership_of


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def home(request):
    """Admins land on their actions; volunteers (who text through the API) see what was sent to them."""
    if not request.user.is_authenticated:
        return redirect("login")
    if is_org_admin(request.user):
        return redirect("actions-list")
    membership = membership_of(request.user)
    actions = member_actions(user=request.user) if membership else []
    return render(request, "orgs/volunteer_home.html", {"membership": membership, "recipients": actions})
