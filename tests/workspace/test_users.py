"""User and role management in the workspace (/ws/users/, claims.users): who may, what the forms refuse
(with the field named), and that every change is recorded with who made it."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from claims import users
from claims.errors import ServiceError
from claims.models import UserEvent, UserRoleEvent
from claims.permissions import can_manage_users

from .conftest import make_user

GOOD_PASSWORD = "Lan-shan-2026-qiao"


@pytest.fixture
def admin_user(world):
    return make_user("yonghu_admin", "user_admin")


def _create(client, **data):
    form = {"username": "new_clerk", "name": "张三", "email": "", "password": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD, "roles": ["reviewer"], "institution": ""}
    form.update(data)
    return client.post(reverse("workspace:user-create"), form)


def test_who_may_manage_users(world, admin_user, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    assert can_manage_users.test(admin_user) and can_manage_users.test(root)
    for user in (world.caseworker, world.reviewer, world.appeal_reviewer, world.supervisor, world.nobody,
                 world.hosp_a):
        assert not can_manage_users.test(user)
    admin_user.is_active = False
    assert not can_manage_users.test(admin_user)


@pytest.mark.parametrize("role", ["caseworker", "reviewer", "appeal_reviewer", "supervisor", "hosp_a"])
def test_other_roles_get_the_chinese_403(world, login, role):
    client = login(getattr(world, role))
    for url in (reverse("workspace:users"), reverse("workspace:user-create"),
                reverse("workspace:user", args=[world.reviewer.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()
    assert client.post(reverse("workspace:user-active", args=[world.reviewer.pk]), {"active": "0"}).status_code == 403
    world.reviewer.refresh_from_db()
    assert world.reviewer.is_active


def test_list_shows_roles_in_chinese(world, admin_user, login):
    html = login(admin_user).get(reverse("workspace:users")).content.decode()
    assert "shenhe1" in html and "审核员" in html and "申诉复核员" in html and "稽核主管" in html
    assert "h1_clerk" in html and world.inst_a.name in html
    assert ">reviewer<" not in html  # never the group's code


def test_create_bureau_user_with_roles_and_history(world, admin_user, login):
    client = login(admin_user)
    response = _create(client, roles=["reviewer", "caseworker"])
    assert response.status_code == 302
    user = User.objects.get(username="new_clerk")
    assert user.first_name == "张三" and user.check_password(GOOD_PASSWORD) and user.is_active
    assert set(user.groups.values_list("name", flat=True)) == {"reviewer", "caseworker"}
    created = UserEvent.objects.get(pgh_obj_id=user.pk, pgh_label="insert")
    assert created.pgh_context.metadata["user"] == admin_user.pk
    assert created.pgh_context.metadata["action"] == "user.create"
    assert UserRoleEvent.objects.filter(user_id=user.pk, pgh_label="role.add").count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "审核员" in page and "经办人员" in page and "yonghu_admin" in page  # the history names who


def test_create_institution_user(world, admin_user, login):
    response = _create(login(admin_user), username="h1_new", roles=[],
                       institution=world.inst_a.fixmedins_code)
    assert response.status_code == 302
    user = User.objects.get(username="h1_new")
    assert user.institution_link.institution == world.inst_a
    assert not user.groups.exists()


def test_create_refuses_bad_input_naming_the_field(world, admin_user, login):
    client = login(admin_user)
    taken = _create(client, username="shenhe1")
    assert taken.status_code == 400
    assert taken.context["form"].errors["username"] and 'id="error-username"' in taken.content.decode()
    weak = _create(client, password="12345678", password2="12345678")
    assert weak.status_code == 400 and weak.context["form"].errors["password"]
    assert "密码" in weak.content.decode()
    differ = _create(client, password2=GOOD_PASSWORD + "x")
    assert differ.status_code == 400 and differ.context["form"].errors["password2"]
    both = _create(client, institution=world.inst_a.fixmedins_code)  # an institution user with a bureau role
    assert both.status_code == 400 and both.context["form"].errors["roles"]
    unknown = _create(client, roles=["god"])
    assert unknown.status_code == 400 and unknown.context["form"].errors["roles"]
    assert not User.objects.filter(username="new_clerk").exists()  # nothing half-written


def test_change_roles_is_recorded(world, admin_user, login):
    client = login(admin_user)
    target = world.caseworker
    response = client.post(reverse("workspace:user-roles", args=[target.pk]), {"roles": ["supervisor"]})
    assert response.status_code == 302
    assert list(target.groups.values_list("name", flat=True)) == ["supervisor"]
    labels = set(UserRoleEvent.objects.filter(user_id=target.pk).values_list("pgh_label", flat=True))
    assert labels == {"role.add", "role.remove"}
    removed = UserRoleEvent.objects.get(user_id=target.pk, pgh_label="role.remove")
    assert removed.pgh_context.metadata == {**removed.pgh_context.metadata, "user": admin_user.pk,
                                            "action": "user.set_roles"}
    page = client.get(reverse("workspace:user", args=[target.pk])).content.decode()
    assert "授予角色：稽核主管" in page and "撤销角色：经办人员" in page


def test_deactivate_and_reactivate_never_delete(world, admin_user, login, client):
    admin_client = login(admin_user)
    target = world.reviewer
    assert admin_client.post(reverse("workspace:user-active", args=[target.pk]), {"active": "0"}).status_code == 302
    target.refresh_from_db()
    assert not target.is_active and User.objects.filter(pk=target.pk).exists()
    page = admin_client.get(reverse("workspace:user", args=[target.pk])).content.decode()
    assert "登录已停用" in page
    assert admin_client.post(reverse("workspace:user-active", args=[target.pk]), {"active": "1"}).status_code == 302
    target.refresh_from_db()
    assert target.is_active
    assert list(UserEvent.objects.filter(pgh_obj_id=target.pk, pgh_label="update")
                .order_by("pgh_id").values_list("is_active", flat=True)) == [False, True]


def test_a_user_admin_cannot_lock_themselves_out(world, admin_user, login):
    client = login(admin_user)
    response = client.post(reverse("workspace:user-active", args=[admin_user.pk]), {"active": "0"})
    assert response.status_code == 400 and "不能停用自己的登录" in response.content.decode()
    response = client.post(reverse("workspace:user-roles", args=[admin_user.pk]), {"roles": []})
    assert response.status_code == 400 and response.context["roles_form"].errors["roles"]
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.groups.filter(name="user_admin").exists()


def test_services_check_the_actor_themselves(world):
    with pytest.raises(PermissionDenied):
        users.set_roles(world.caseworker, ["supervisor"], actor=world.supervisor)
    with pytest.raises(ServiceError) as err:
        users.create_user(actor=make_user("ua2", "user_admin"), username="x", name="x", password="x")
    assert err.value.errors[0]["field"] == "password"


def test_roles_other_than_the_offered_ones_are_kept(world, admin_user, django_user_model):
    other = django_user_model.objects.create(username="odd")
    other.groups.create(name="legacy_group")
    users.set_roles(other, ["caseworker"], actor=admin_user)
    assert set(other.groups.values_list("name", flat=True)) == {"legacy_group", "caseworker"}
