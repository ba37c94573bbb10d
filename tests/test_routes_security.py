"""Every route states who may use it."""

PUBLIC = {"static", "auth.index", "auth.login", "auth.login_post", "auth.logout", "auth.language",
          "health.healthz", "api.openapi"}


def test_every_route_has_a_role(app):
    """Each endpoint is public by decision or guarded by a role (view decorator or blueprint guard)."""
    unguarded = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        blueprint = rule.endpoint.split(".")[0]
        guarded = getattr(view, "required_role", None) or blueprint == "admin"
        if rule.endpoint not in PUBLIC and not guarded:
            unguarded.append(rule.endpoint)
    assert unguarded == []
