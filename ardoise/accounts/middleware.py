from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class OrganisationMiddleware:
    """Attach the logged-in user's organisation to ``request.organisation``.

    Views scope every query with it. A user belongs to one organisation for now;
    the first membership wins. The membership itself goes to ``request.membership``:
    its role shows whether the user is an owner without another query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            membership = request.user.memberships.select_related("organisation").order_by("id").first()  # type: ignore[union-attr]
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.organisation = membership.organisation  # type: ignore[attr-defined]
        return self.get_response(request)
