"""File bytes in an S3-compatible bucket (``HFGATE_BATCH_FILES_URL=s3://bucket/prefix``), through boto3.

boto3 is the optional extra ``hfgate[s3]``: AWS's own SDK, kept in step with S3, and what every S3-compatible
server (MinIO, Ceph, Garage, SeaweedFS, R2) is tested against. Its credentials and defaults come from its usual
chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance role); the server and
region from ``HFGATE_BATCH_FILES_ENDPOINT_URL`` and ``HFGATE_BATCH_FILES_REGION``, else ``AWS_ENDPOINT_URL_S3``
and ``AWS_DEFAULT_REGION``. A file is one object, ``<prefix>/<file id>``: sent in one PUT when it is smaller
than a part (8 MiB), else as a multipart upload, one part in memory at a time (an upload that fails is
aborted, so no part is left billed); read as a stream. A bucket that is missing, credentials refused or a
server out of reach is a 503 naming the setting to fix (:class:`~hfgate.errors.FileStoreUnavailableError`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

from hfgate.errors import FileBytesMissingError, FileStoreUnavailableError

INSTALL = "pip install 'hfgate[s3]'"
PART_BYTES = 8 * 1024 * 1024
"""Size of each part of a multipart upload (S3's least is 5 MiB, but for the last)."""

_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken"}


class S3Store:
    """Bytes as objects ``<prefix>/<name>`` of the bucket that ``url`` (``s3://bucket/prefix``) names."""

    def __init__(
        self, url: str, *, endpoint_url: str | None = None, region: str | None = None, part_bytes: int = PART_BYTES
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            missing = f"HFGATE_BATCH_FILES_URL names an S3 bucket but boto3 is not installed: {INSTALL}"
            raise FileStoreUnavailableError(missing) from None
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        self.url = url
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_bytes = part_bytes
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                                        config=Config(retries={"max_attempts": 3, "mode": "standard"}))  # fmt: skip

    def key(self, name: str) -> str:
        """The object key of ``name``'s bytes."""
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name: str, pieces: Iterable[bytes]) -> int:
        key = self.key(name)
        buffer = bytearray()
        size = 0
        upload: str | None = None
        parts: list[dict[str, Any]] = []
        with self._told(name):
            try:
                for piece in pieces:
                    buffer += piece
                    size += len(piece)
                    while len(buffer) >= self.part_bytes:
                        if upload is None:
                            upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
                        parts.append(self._part(key, upload, len(parts) + 1, bytes(buffer[: self.part_bytes])))
                        del buffer[: self.part_bytes]
                if upload is None:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(buffer))
                    return size
                if buffer:
                    parts.append(self._part(key, upload, len(parts) + 1, bytes(buffer)))
                self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload,
                                                      MultipartUpload={"Parts": parts})  # fmt: skip
            except BaseException:
                if upload is not None:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
                raise
        return size

    def open(self, name: str) -> BinaryIO:
        with self._told(name):
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(name))["Body"]
        return cast(BinaryIO, io.BufferedReader(_Body(body), buffer_size=1024 * 1024))

    def remove(self, name: str) -> None:
        with self._told(name):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def _part(self, key: str, upload: str, number: int, data: bytes) -> dict[str, Any]:
        sent = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number, Body=data)
        return {"ETag": sent["ETag"], "PartNumber": number}

    @contextmanager
    def _told(self, name: str) -> Iterator[None]:
        """botocore's errors as hfgate's, each naming what to fix."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        setting = f"HFGATE_BATCH_FILES_URL [{self.url}]"
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404"):
                missing = f"the bytes of file [{name}] are not in {setting}: every replica must name the same bucket"
                raise FileBytesMissingError(missing) from None
            if code == "NoSuchBucket":
                reason = (f"the bucket [{self.bucket}] of {setting} does not exist on its server "
                          "(HFGATE_BATCH_FILES_ENDPOINT_URL): create it, or name another")  # fmt: skip
            elif code in _REFUSED:
                reason = (f"the S3 server refused the credentials for {setting} ({code}): check AWS_ACCESS_KEY_ID "
                          "and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and the bucket's policy")  # fmt: skip
            else:
                reason = f"the S3 server of {setting} answered {code}: {exc}"
            raise FileStoreUnavailableError(reason) from None
        except NoCredentialsError:
            unset = f"no S3 credentials for {setting}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            raise FileStoreUnavailableError(unset) from None
        except BotoCoreError as exc:
            away = f"the S3 server of {setting} cannot be reached (HFGATE_BATCH_FILES_ENDPOINT_URL): {exc}"
            raise FileStoreUnavailableError(away) from None


class _Body(io.RawIOBase):
    """botocore's streaming body as a raw stream, so that :class:`io.BufferedReader` reads lines of it."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        data: bytes = self._body.read(len(target))
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
