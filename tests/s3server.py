"""A real S3-compatible server on loopback for the tests: moto's server app, in its own process.

`python -m tests.s3server` binds 127.0.0.1 on a free port, prints `port N` and serves until it is
terminated or its standard input closes (so it ends with the test session that started it, even
one that was killed). Requests are served one at a time: moto checks `If-Match`/`If-None-Match` and then
stores the object in two steps, which concurrent requests could interleave; served one at a
time, a conditional put is atomic, as it is on S3 itself.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Any

BUCKET = "radar-test"
# Throwaway values for the loopback server (it accepts any); never a real account's.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "radar-test-key", "AWS_SECRET_ACCESS_KEY": "radar-test-secret"}


@dataclass
class S3Server:
    """A running server process and the AWS variables that point a client at it."""

    process: subprocess.Popen[str]
    endpoint: str

    @classmethod
    def start(cls, log: str) -> S3Server:
        with open(log, "w") as requests_log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.s3server"],
                stdin=subprocess.PIPE,  # the server ends when this pipe closes
                stdout=subprocess.PIPE,
                stderr=requests_log,
                text=True,
            )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("port "):
            process.kill()
            raise RuntimeError(f"the S3 server did not start (see {log})")
        return cls(process, f"http://127.0.0.1:{int(line.split()[1])}")

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": "us-east-1", **CREDENTIALS}

    def client(self) -> object:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def read_store(self, location: str) -> dict[str, Any]:
        """Every table of an S3 store as polars frames, read with this client (not the store's
        own reader): each manifest, then the data objects of the parts it names."""
        import polars as pl

        from core.schemas import SCHEMAS, conform, empty

        client: Any = self.client()
        prefix = location.removeprefix(f"s3://{BUCKET}/")
        tables: dict[str, Any] = {}
        for table in SCHEMAS:
            try:
                manifest = client.get_object(Bucket=BUCKET, Key=f"{prefix}/{table}.manifest.json")
            except client.exceptions.NoSuchKey:
                tables[table] = empty(table)
                continue
            listed = json.loads(manifest["Body"].read())
            names = [part["data"] for part in listed["parts"]] if "parts" in listed else [listed["data"]]
            frames = [
                conform(
                    table,
                    pl.read_parquet(
                        io.BytesIO(client.get_object(Bucket=BUCKET, Key=f"{prefix}/{name}")["Body"].read())
                    ),
                )
                for name in names
            ]
            tables[table] = pl.concat(frames) if frames else empty(table)
        return tables

    def new_location(self, name: str = "store") -> str:
        """A fresh `s3://` location of the test bucket, for one test's store."""
        return f"s3://{BUCKET}/{name}-{uuid.uuid4().hex[:10]}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=MotoRequestHandler)
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdout.close()
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    server.serve_forever()


def _exit_with_parent() -> None:
    sys.stdin.read()  # returns when the process that started this one closes the pipe or dies
    os._exit(0)


if __name__ == "__main__":
    main()
