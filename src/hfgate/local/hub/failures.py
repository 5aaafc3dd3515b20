"""``huggingface_hub``'s exceptions turned into hfgate's, in one place, each naming the setting to fix."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from hfgate.errors import (
    BadRequestError,
    HfGateError,
    NotFoundError,
    StorageFullError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamUnreachableError,
)


@contextmanager
def hub_failures(repo_id: str, revision: str | None) -> Iterator[None]:
    """Translate what the Hub or the cache raise while ``repo_id`` is resolved or fetched.

    Raises:
        UpstreamAuthError: gated or private without a token that may read it (403).
        NotFoundError: no such repository, revision or file (404).
        BadRequestError: offline and not in the cache.
        StorageFullError: no space left for the model (507).
        UpstreamUnreachableError: the Hub could not be reached.
    """
    from huggingface_hub import errors

    unreachable: tuple[type[Exception], ...] = (*_transport_errors(), errors.OfflineModeIsEnabled)
    try:
        yield
    except HfGateError:
        raise
    except errors.GatedRepoError as exc:
        raise UpstreamAuthError(
            f"[{repo_id}] is a gated model: accept its conditions on the Hub with your account, then give that "
            "account's token as [service_settings.api_key] (or HF_TOKEN where hfgate runs)",
            status=403,
        ) from exc
    except errors.RepositoryNotFoundError as exc:
        raise NotFoundError(
            f"[service_settings.model] [{repo_id}] is not a model on the Hub, or it is private and "
            "[service_settings.api_key] (or HF_TOKEN) is not a token that may read it",
            param="service_settings.model",
        ) from exc
    except errors.RevisionNotFoundError as exc:
        raise NotFoundError(
            f"[service_settings.revision] [{revision}] is not a branch, tag or commit of [{repo_id}]",
            param="service_settings.revision",
        ) from exc
    except errors.LocalEntryNotFoundError as exc:
        raise BadRequestError(
            f"[{repo_id}]{f' at [{revision}]' if revision else ''} is not in the Hugging Face cache and the Hub "
            "may not be asked (HF_HUB_OFFLINE); fetch it first with `hfgate pull "
            f"{repo_id}` where the Hub is reachable, or unset HF_HUB_OFFLINE",
            param="service_settings.model",
        ) from exc
    except errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 502
        raise UpstreamError(f"The Hub answered [{status}] for [{repo_id}]: {exc}", status=502) from exc
    except unreachable as exc:
        raise UpstreamUnreachableError(
            f"The Hub could not be reached for [{repo_id}]: {exc}; check this machine's network and HF_ENDPOINT "
            f"(HFGATE_HF_HUB_URL), or fetch the model with `hfgate pull {repo_id}` where the Hub is reachable"
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StorageFullError(
                f"No space left on the disk of the Hugging Face cache for [{repo_id}]; free some "
                "(`hfgate models rm MODEL`) or point HF_HUB_CACHE at a larger disk"
            ) from exc
        raise


def _transport_errors() -> tuple[type[Exception], ...]:
    """A connection to the Hub that failed (refused, reset, timed out, a name that does not resolve), as
    raised by the HTTP client huggingface_hub calls it through: httpx2 from huggingface_hub 2.x, httpx before."""
    import httpx

    found: list[type[Exception]] = [httpx.TransportError]
    with suppress(ImportError):
        import httpx2

        found.append(httpx2.TransportError)
    return tuple(found)
