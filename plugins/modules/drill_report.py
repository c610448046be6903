#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: drill_report
short_description: Write the report of a DR drill - JSON, JUnit XML and a self-contained HTML page
version_added: 1.0.0
description:
  - Takes what a DR drill (test failover) collected - the recovery plans and VMs drilled, the ASR jobs as
    M(dr.asr.job_info) returns them, the test VMs as M(dr.asr.recovered_vm_info) returns them, the smoke checks'
    results and the cleanup - and judges and measures it. Writes the report into a directory as JSON (for machines),
    JUnit XML (for CI systems and AWX - one testcase per check per recovery plan and VM) and one self-contained HTML
    page (inline CSS, no external assets).
  - B(RTO) is measured from the ASR job timestamps - a recovery plan's from its test failover job's start to its end, a
    VM of a plan from the job's start to the end of its boot group's task, a VM drilled on its own from its job's start
    to its end.
  - B(RPO) is the time between the recovery point the job used (the job's C(customDetails), else the point the drill
    chose) and the start of the job.
  - The checks - the test failover job succeeded, the test VM exists and runs, all its NICs are in the test network,
    the optional RTO/RPO targets, the smoke checks, and the cleanup left nothing behind - each pass, fail or are
    skipped (with the reason).
  - Optionally uploads the files to an Azure Blob Storage container (O(blob_url), or O(storage_account) and
    O(container)) - where an AWX job's report outlives its execution environment - with the module's Azure credentials
    (Microsoft Entra ID) or a SAS; a blob that already holds the same bytes is not uploaded again.
  - Runs on the controller (delegate it to C(localhost)); used by the C(dr.asr.drill) role.
author:
  - dr.asr maintainers (@dr-asr)
options:
  path:
    description:
      - Directory the report files go to; created (mode C(0755)) when missing.
    type: path
    required: true
  name:
    description:
      - Base name of the files - C(<name>.json), C(<name>.xml) and C(<name>.html) in O(path), and the blobs'
        names after O(blob_prefix).
      - A file name only - a name with a path separator (C(/) or C(\)) or C(..) is refused before anything is
        written.
    type: str
    default: drill-report
  formats:
    description:
      - Which files to write.
    type: list
    elements: str
    choices: [json, junit, html]
    default: [json, junit, html]
  facts:
    description:
      - What the drill collected (the keys below; others are ignored). Each key's type is checked first - a list where
        a dictionary belongs, or text where a number belongs, is refused naming the field (C(facts.vms[0].smoke[1].rc))
        before anything is written; numbers and booleans given as text (survey answers, C(-e)) are taken.
      - C(title), C(started), C(ended) (ISO 8601), C(vault) (C(name), C(resource_group)), C(test_network),
        C(check_mode), C(resumed_cleanup) (this run only finished the cleanup of an interrupted drill - the drill's
        own checks are skipped), C(error) (why the drill stopped, if it did), C(rto_target_seconds),
        C(rpo_target_seconds).
      - C(plans) - per recovery plan - C(name), C(groups) (C(group), C(vms) - as M(dr.asr.recovery_plan_info) returns
        them), C(action), C(job) (the test failover job), C(cleanup) (C(action), C(job), C(error), C(comments)),
        C(hooks) (C(name), C(status), C(message), ...), C(error).
      - C(vms) - per VM - C(name), C(item_name), C(plan), C(action), C(job) (a VM drilled on its own),
        C(recovery_point) (C(name), C(time), C(type)), C(test_network_id), C(test_vm) (read while the drill was
        up), C(left_behind) (resource ids still there after the cleanup), C(smoke) (C(name), C(host), C(rc),
        C(stdout), C(stderr), C(passed), C(message), C(skipped)), C(cleanup), C(error).
    type: dict
    required: true
  mode:
    description:
      - File mode of the report files, as octal text (V("0600"), V("0640")) or a number (C(0o600), YAML's C(0600)).
      - The default V("0600") keeps them to their owner - they hold the smoke checks' output.
      - A mode with the setuid, setgid or sticky bit, above C(0777), negative, or text that is not octal is refused.
    type: raw
    default: "0600"
  blob_url:
    description:
      - Also upload the files to this Azure Blob Storage container - its URL, C(https://<account>.blob.core.windows.net/<container>)
        (or C(https://<address>:<port>/<account>/<container>) for an emulator). Each file becomes the block blob
        C(<blob_prefix><name>.<suffix>), e.g. so that the report survives an AWX execution environment that is thrown
        away after the job.
      - The container must exist. No query string - a SAS goes in O(sas_token).
      - Mutually exclusive with O(storage_account) and O(container).
    type: str
  storage_account:
    description:
      - Also upload the files to O(container) of this storage account; its Blob service endpoint is read from Azure
        Resource Manager (the account's C(primaryEndpoints.blob)), which needs read access to the account.
      - Requires O(container).
    type: str
  storage_resource_group:
    description:
      - Resource group of O(storage_account); without it the subscription's storage accounts are searched by name.
    type: str
  container:
    description:
      - The blob container of O(storage_account). Requires O(storage_account).
    type: str
  blob_prefix:
    description:
      - Prefix of the blobs' names, a virtual directory such as V(drills/2026/) (no leading C(/), no C(.) or C(..)
        segments).
    type: str
    default: ""
  sas_token:
    description:
      - A shared access signature for the container (the query string, with or without its leading C(?)); it needs
        the create and write permissions, and read to compare what is there already.
      - Without it the upload is authorized with Microsoft Entra ID - a token of the module's Azure credentials
        (the options below, or C(module_defaults) of C(group/dr.asr.azure)) for C(https://storage.azure.com/); the
        identity needs a data role such as Storage Blob Data Contributor on the account or container.
    type: str
notes:
  - The upload is idempotent - a blob whose C(Content-MD5) and size (read with Get Blob Properties) equal the file's is
    not uploaded again; Azure checks the MD5 of each upload (C(Content-MD5)) and stores it with the blob.
  - TLS to the storage account is verified with the same CA bundle as every Azure call (O(ca_bundle),
    E(AZURE_CA_BUNDLE), E(REQUESTS_CA_BUNDLE), E(SSL_CERT_FILE)).
  - The Azure options matter only for the upload (and O(storage_account)); without O(blob_url) or
    O(storage_account) the module needs no Azure SDK and makes no network call.
extends_documentation_fragment:
  - dr.asr.azure
attributes:
  check_mode:
    support: full
    description: Builds the report, tells which files would change and reads the blobs' properties to tell which
      would be uploaded; writes and uploads nothing.
  diff_mode:
    support: partial
    description: The diff names each file and blob with its MD5 before and after, not the contents.
  idempotent:
    support: full
    description: The report depends on the facts only (no generation time); a file with the same content is not
      rewritten, a blob with the same MD5 and size not uploaded again.
seealso:
  - module: dr.asr.test_failover
  - name: Put Blob (Azure Storage REST API)
    description: The request that uploads each file.
    link: https://learn.microsoft.com/rest/api/storageservices/put-blob
  - name: Authorize with Microsoft Entra ID (Azure Storage)
    description: Bearer tokens for https://storage.azure.com/ and the data roles they need.
    link: https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory
  - module: dr.asr.recovered_vm_info
  - module: dr.asr.job_info
'''

EXAMPLES = r'''
- name: Write the drill report
  dr.asr.drill_report:
    path: /var/lib/dr/reports
    name: drill-rp-shop-20261126T0800
    facts:
      title: Quarterly drill of rp-shop
      vault: {name: rsv-dr-weu, resource_group: rg-dr}
      plans:
        - name: rp-shop
          groups: "{{ plan.recovery_plans[0].groups }}"
          job: "{{ tfo_job.jobs[0] }}"
          cleanup: {action: start, job: "{{ cleanup_job.jobs[0] }}"}
      vms:
        - name: web-01
          plan: rp-shop
          test_network_id: "{{ test_vnet_id }}"
          test_vm: "{{ test_vms.vms[0] }}"
          left_behind: []
  delegate_to: localhost
  register: drill_report

- name: Write the drill report and keep it in a blob container (AWX throws the execution environment away)
  dr.asr.drill_report:
    path: "{{ playbook_dir }}/reports"
    name: "drill-{{ ansible_date_time.iso8601_basic_short }}"
    facts: "{{ drill_facts }}"
    blob_url: https://stdrreports.blob.core.windows.net/drill-reports
    blob_prefix: rp-shop/
  delegate_to: localhost
  register: drill_report

- name: The same with a SAS instead of Microsoft Entra ID, the account found through Azure Resource Manager
  dr.asr.drill_report:
    path: /tmp/reports
    facts: "{{ drill_facts }}"
    storage_account: stdrreports
    container: drill-reports
    sas_token: "{{ reports_sas }}"
  delegate_to: localhost

- name: Fail the pipeline when a check failed
  ansible.builtin.fail:
    msg: "{{ drill_report.report.failed_checks | join('; ') }}"
  when: drill_report.result == 'failed'
'''

RETURN = r'''
files:
  description: The report files (written, or that would be in check mode), by format.
  returned: always
  type: dict
  sample: {json: /var/lib/dr/reports/drill.json, junit: /var/lib/dr/reports/drill.xml, html: /var/lib/dr/reports/drill.html}
result:
  description: V(passed) (no check failed), V(failed), or V(check mode).
  returned: always
  type: str
  sample: passed
counts:
  description: Number of checks - C(total), C(passed), C(failed), C(skipped).
  returned: always
  type: dict
  sample: {total: 14, passed: 14, failed: 0, skipped: 0}
blobs:
  description: The blobs' URLs (without a SAS), by format; empty when nothing is uploaded.
  returned: always
  type: dict
  sample: {json: https://stdrreports.blob.core.windows.net/drill-reports/rp-shop/drill.json}
uploads:
  description:
    - Per file uploaded (or that would be in check mode) or found unchanged - C(format), C(url), C(action)
      (V(created), V(updated), V(unchanged)), C(changed), C(content_md5) (base64, as Azure shows it) and C(size).
  returned: when O(blob_url) or O(storage_account) is set
  type: list
  elements: dict
  sample:
    - {format: json, url: https://stdrreports.blob.core.windows.net/drill-reports/drill.json, action: created,
       changed: true, content_md5: 1B2M2Y8AsgTpgAmY7PhCfg==, size: 5120}
report:
  description:
    - The report as written to the JSON file - C(result), C(counts), C(max_rto_seconds), C(max_rpo_seconds),
      C(failed_checks), C(cleaned_up), C(left_behind), C(plans) (per plan - C(job), C(timeline) (the job's tasks with
      C(offset_seconds) and C(duration_seconds)), C(groups), C(rto_seconds), C(checks), C(cleanup)) and C(vms) (per VM
      - C(plan), C(group), C(ready_time), C(rto_seconds), C(rpo_seconds), C(recovery_point), C(test_vm), C(checks),
      C(cleanup), C(left_behind)).
  returned: always
  type: dict
'''

import hashlib
import os
import re
import tempfile

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
from ansible_collections.dr.asr.plugins.module_utils import _drill_report

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    name=dict(type="str", default="drill-report"),
    formats=dict(type="list", elements="str", choices=["json", "junit", "html"], default=["json", "junit", "html"]),
    facts=dict(type="dict", required=True),
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

CONTENT_TYPES = {"json": "application/json", "junit": "application/xml", "html": "text/html; charset=utf-8"}
MODE_EXPECTED = ("an octal file mode from 0000 to 0777 such as '0600' (read and write for the owner only), given as "
                 "text or as a number - without the setuid, setgid or sticky bit")


def check_name(name):
    """The files' base name: no path separator, no '..' (the report must land in `path`, and nowhere else)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or ".." in name or "\x00" in name \
            or os.sep in name or (os.altsep and os.altsep in name) or len(name) > 200:
        raise InputError("name", name, "a file base name without a path separator ('/' or '\\') or '..', at most 200 "
                         "characters, such as 'drill-20261126T0800' (the files are <name>.json, <name>.xml and "
                         "<name>.html in path)")
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
        fd, tmp = tempfile.mkstemp(prefix=".drill-report-", dir=os.path.dirname(path))
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


def run_module(module, done):
    """The report written (and uploaded); `done` collects what is written as it goes (returned on a failure)."""
    params = module.params
    name = check_name(params["name"])
    mode = file_mode(params["mode"])
    target = upload_target(params)
    report = _drill_report.build(params["facts"])
    directory = params["path"]
    changed = False
    if not os.path.isdir(directory):
        changed = True
        if not module.check_mode:
            os.makedirs(directory, 0o755)
    files, contents = {}, {}
    diff = dict(before={}, after={})
    for fmt in params["formats"]:
        suffix, render = _drill_report.RENDERERS[fmt]
        path = os.path.join(directory, "%s.%s" % (name, suffix))
        data = render(report).encode("utf-8")
        files[fmt] = path
        contents[fmt] = (path, data)
        file_changed, before = write_if_changed(path, data, mode, module.check_mode)
        changed = file_changed or changed
        diff["before"][path] = before
        diff["after"][path] = md5_hex(data)
    done.update(changed=changed and not module.check_mode, files=files)
    result = dict(changed=changed, files=files, result=report["result"], counts=report["counts"], report=report,
                  blobs={})
    if target is not None:
        uploads, blobs, uploaded = upload(module, target, contents, diff)
        result.update(uploads=uploads, blobs=blobs, changed=changed or uploaded)
    if module.ansible_module._diff:
        result["diff"] = diff
    return result


def main():
    spec = dict(azure_argument_spec())
    spec.update(ARGUMENT_SPEC)
    module = DrAsrModule(spec, secret_urls=("blob_url",), mutually_exclusive=MUTUALLY_EXCLUSIVE,
                         required_together=REQUIRED_TOGETHER, required_by=REQUIRED_BY)
    done = {}
    with module.guard():
        try:
            module.exit_json(**run_module(module, done))
        except DrAsrError as error:
            module.fail_from(error, **done)
        except (IOError, OSError, ValueError) as exc:
            module.fail_json(msg="Could not write the drill report to %s: %s" % (module.params["path"], exc), **done)


if __name__ == "__main__":
    main()
