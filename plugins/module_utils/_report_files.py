# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report writer shared by dr.asr.drill_report and dr.asr.posture_report: a report (a dict) rendered into files
(JSON, JUnit XML, HTML) in a directory - a file with the same bytes is not rewritten - and optionally uploaded to an
Azure Blob Storage container (a blob with the same Content-MD5 and size is not uploaded again).

    REPORT_ARGUMENT_SPEC       the options of both modules but `name` and `facts` (doc fragment dr.asr.report_files)
    main(argument_spec, build, renderers, what, example)   the main() of both modules: options checked, report
                               built from `facts`, files written and uploaded, exit_json / fail_json
    write_report(module, report, renderers, name, done)   -> the module's result (files, blobs, uploads, diff)
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec

REPORT_ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    formats=dict(type="list", elements="str", choices=["json", "junit", "html"], default=["json", "junit", "html"]),
    mode=dict(type="raw", default="0600"),
    blob_url=dict(type="str"),
    storage_account=dict(type="str"),
    storage_resource_group=dict(type="str"),
    container=dict(type="str"),
    blob_prefix=dict(type="str", default=""),
    sas_token=dict(type="str", no_log=True),
)
MUTUALLY_EXCLUSIVE = [("blob_url", "storage_account"), ("blob_url", "container")]
REQUIRED_TOGETHER = [("storage_account", "container")]
REQUIRED_BY = {"storage_resource_group": "storage_account"}
SECRET_URLS = ("blob_url",)

CONTENT_TYPES = {"json": "application/json", "junit": "application/xml", "html": "text/html; charset=utf-8"}
MODE_EXPECTED = ("an octal file mode from 0000 to 0777 such as '0600' (read and write for the owner only), given as "
                 "text or as a number - without the setuid, setgid or sticky bit")


def check_name(name, example="drill-20261126T0800"):
    """The files' base name: no path separator, no '..' (the report must land in `path`, and nowhere else)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or ".." in name or "\x00" in name \
            or os.sep in name or (os.altsep and os.altsep in name) or len(name) > 200:
        raise InputError("name", name, "a file base name without a path separator ('/' or '\\') or '..', at most 200 "
                         "characters, such as '%s' (the files are <name>.json, <name>.xml and "
                         "<name>.html in path)" % example)
    return name


def file_mode(value):
    """The files' mode: a number 0..0o777 or octal text ('0600', '600', '0o600'); never setuid, setgid, sticky."""
    if isinstance(value, bool):
        raise InputError("mode", value, MODE_EXPECTED)
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.match(r"^\s*(0o)?[0-7]{1,4}\s*$", value, re.I):
        mode = int(value.strip(), 8)
    else:
        raise InputError("mode", value, MODE_EXPECTED)
    if mode < 0 or mode > 0o7777:
        raise InputError("mode", value, MODE_EXPECTED)
    if mode & 0o7000:
        hint = "%r is %s: it has the %s bit." % (value, oct(mode), " and ".join(
            bit for mask, bit in ((0o4000, "setuid"), (0o2000, "setgid"), (0o1000, "sticky")) if mode & mask))
        if isinstance(value, int):
            hint += " A number is the mode itself: write '0%s' (quoted) or 0o%s for an octal mode." % (value, value) \
                if re.match(r"^[0-7]+$", str(value)) else ""
        raise InputError("mode", value, MODE_EXPECTED, hint=hint)
    return mode


def md5_hex(data):
    return hashlib.md5(data).hexdigest()  # nosec: a digest for the diff, as Azure's Content-MD5


def write_if_changed(path, data, mode, check_mode):
    """Write `data` (bytes) to `path` unless it holds exactly that already; (changed, MD5 hex of what was there)."""
    try:
        with open(path, "rb") as handle:
            before = handle.read()
    except (IOError, OSError):
        before = None
    same = before == data
    if not same and not check_mode:
        fd, tmp = tempfile.mkstemp(prefix=".dr-asr-report-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    elif same and (os.stat(path).st_mode & 0o7777) != mode:
        if not check_mode:
            os.chmod(path, mode)
        return True, md5_hex(before)
    return not same, md5_hex(before) if before is not None else None


def upload_target(params):
    """Where the files go besides `path`: None, or the checked upload options (no network yet)."""
    from ansible_collections.dr.asr.plugins.module_utils._azure import blob
    if not params.get("blob_url") and not params.get("storage_account"):
        for option in ("blob_prefix", "sas_token"):
            if params.get(option):
                raise InputError(option, "(hidden)" if option == "sas_token" else params[option],
                                 "unset without blob_url or storage_account (nothing is uploaded)")
        return None
    target = dict(url=None, prefix=blob.check_prefix(params.get("blob_prefix")),
                  sas=blob.check_sas(params["sas_token"]) if params.get("sas_token") else None)
    if params.get("blob_url"):
        target["url"] = blob.container_url(params["blob_url"])
    else:
        blob.check_container(params["container"])
    return target


def upload(module, target, contents, diff):
    """Each file to its blob, unless the blob holds the same bytes (Content-MD5 and size); (uploads, blobs, changed)."""
    from ansible_collections.dr.asr.plugins.module_utils._azure import blob
    from ansible_collections.dr.asr.plugins.module_utils._azure.client import missing_library
    if blob.PipelineClient is None:
        module.fail_json(msg=missing_required_lib("azure-core"))
    if target["sas"] is None or not target["url"]:
        missing = missing_library("azure.identity")
        if missing:
            module.fail_json(msg=missing_required_lib(missing))
    clients = module.azure()
    params = module.params
    url = target["url"] or blob.account_container_url(clients, params["storage_account"], params["container"],
                                                      params.get("storage_resource_group"))
    container = blob.BlobContainer(url, credential=None if target["sas"] else clients.credential,
                                   sas_token=target["sas"], verify=clients.verify)
    uploads, blobs, changed = [], {}, False
    try:
        for fmt, (path, data) in contents.items():
            name = target["prefix"] + os.path.basename(path)
            where = container.url_of(name)
            blobs[fmt] = where
            md5 = blob.content_md5(data)
            try:
                current = container.properties(name)
            except AzureError as exc:
                if not (target["sas"] and exc.code == "AuthorizationPermissionMismatch"):
                    raise
                module.warn("The SAS does not allow reading %s (no read permission): uploaded without comparing it "
                            "with what is there." % where)
                current = dict(content_md5=None, size=None, content_type=None)
            same = current is not None and current["content_md5"] == md5 and current["size"] == len(data) and \
                (current["content_type"] or "").replace(" ", "").lower() == CONTENT_TYPES[fmt].replace(" ", "").lower()
            action = "unchanged" if same else ("created" if current is None else "updated")
            if not same and not module.check_mode:
                container.upload(name, data, CONTENT_TYPES[fmt])
            changed = changed or not same
            uploads.append(dict(format=fmt, url=where, action=action, changed=not same, content_md5=md5, size=len(data)))
            diff["before"][where] = _hex(current["content_md5"]) if current else None
            diff["after"][where] = md5_hex(data)
    finally:
        container.close()
    return uploads, blobs, changed


def _hex(content_md5):
    import base64
    import binascii
    try:
        return binascii.hexlify(base64.b64decode(content_md5)).decode("ascii") if content_md5 else "unknown"
    except (binascii.Error, ValueError):
        return "unknown"


def write_report(module, report, renderers, name, done):
    """`report` rendered in each of the `formats` (renderers: format -> (suffix, render)) into `path`/<name>.<suffix>,
    then uploaded when asked; `done` collects what is written as it goes (returned on a failure)."""
    params = module.params
    mode = file_mode(params["mode"])
    target = upload_target(params)
    directory = params["path"]
    changed = False
    if not os.path.isdir(directory):
        changed = True
        if not module.check_mode:
            os.makedirs(directory, 0o755)
    files, contents = {}, {}
    diff = dict(before={}, after={})
    for fmt in params["formats"]:
        suffix, render = renderers[fmt]
        path = os.path.join(directory, "%s.%s" % (name, suffix))
        data = render(report).encode("utf-8")
        files[fmt] = path
        contents[fmt] = (path, data)
        file_changed, before = write_if_changed(path, data, mode, module.check_mode)
        changed = file_changed or changed
        diff["before"][path] = before
        diff["after"][path] = md5_hex(data)
    done.update(changed=changed and not module.check_mode, files=files)
    result = dict(changed=changed, files=files, blobs={})
    if target is not None:
        uploads, blobs, uploaded = upload(module, target, contents, diff)
        result.update(uploads=uploads, blobs=blobs, changed=changed or uploaded)
    if module.ansible_module._diff:
        result["diff"] = diff
    return result


def main(argument_spec, build, renderers, what, example):
    """A report module's main(): `argument_spec` (REPORT_ARGUMENT_SPEC with the module's `name` and `facts`) and the
    Azure options; every option checked before anything is written, then `build(facts)` -> report (it checks the
    facts' shape), the files and the upload. A file that cannot be written is "Could not write the <what> to ..."."""
    spec = dict(azure_argument_spec())
    spec.update(argument_spec)
    module = DrAsrModule(spec, secret_urls=SECRET_URLS, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                         required_together=REQUIRED_TOGETHER, required_by=REQUIRED_BY)
    done = {}
    with module.guard():
        try:
            params = module.params
            name = check_name(params["name"], example)
            file_mode(params["mode"])
            upload_target(params)
            report = build(params["facts"])
            result = write_report(module, report, renderers, name, done)
            result.update(result=report["result"], counts=report["counts"], report=report)
            module.exit_json(**result)
        except DrAsrError as error:
            module.fail_from(error, **done)
        except (IOError, OSError, ValueError) as exc:
            module.fail_json(msg="Could not write the %s to %s: %s" % (what, module.params["path"], exc), **done)
