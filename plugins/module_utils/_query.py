# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `query` option of the info modules: a JMESPath expression over the module's result, like azure-cli's
`--query`, evaluated on the managed node so that only what the playbook asks for travels back (hundreds of VMs).

    query: "protected_items[?phase != 'protected'].vm_name"    ->  result["query_result"] = ["web-03", "db-01"]
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:  # reported by DrAsrModule through missing_required_lib
    jmespath = None
    HAS_JMESPATH = False

QUERY_ARGUMENT_SPEC = dict(
    query=dict(type="str"),
)


def compile_query(expression):
    """The compiled JMESPath `expression` (InputError naming the option when it does not parse): checked before the
    module reads anything."""
    if not HAS_JMESPATH:
        raise DrAsrError("The query option needs the jmespath Python library.", code="MissingLibrary",
                         recommended_action="Install jmespath where the module runs (pip install jmespath).")
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.ParseError as err:
        raise InputError("query", expression, "a JMESPath expression (https://jmespath.org)",
                         hint=str(err).replace("\n", " ")) from None


def apply(result, expression):
    """The value of the JMESPath `expression` over `result`."""
    compiled = compile_query(expression)
    try:
        return compiled.search(dict((k, v) for k, v in result.items() if k not in ("changed", "query_result")))
    except jmespath.exceptions.JMESPathError as err:
        raise InputError("query", expression, "a JMESPath expression that applies to the module's result",
                         hint=str(err).replace("\n", " ")) from None
