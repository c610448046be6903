"""_drill_report.check_facts: every known field of the facts checked and converted before the report is built; a
wrong-shaped one is an InputError naming it (never an AttributeError later)."""
import pytest

from ansible_collections.dr.asr.plugins.module_utils import _drill_report
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.drill_facts import facts


def test_the_role_s_facts_pass_unchanged():
    given = facts()
    assert _drill_report.check_facts(given) == given
    assert _drill_report.check_facts(None) == {}


def test_text_for_numbers_and_booleans_is_converted():
    given = facts()
    given.update(rto_target_seconds=" 900 ", check_mode="no")
    given["vms"][0]["smoke"][0].update(rc="0", passed="yes")
    given["vms"][0]["test_vm"]["nics"][0]["attached"] = 1
    given["plans"][0]["groups"][0]["group"] = 1.0
    given["vms"][0]["name"] = 1234
    out = _drill_report.check_facts(given)
    assert out["rto_target_seconds"] == 900 and out["check_mode"] is False
    assert out["vms"][0]["smoke"][0]["rc"] == 0 and out["vms"][0]["smoke"][0]["passed"] is True
    assert out["vms"][0]["test_vm"]["nics"][0]["attached"] is True and out["plans"][0]["groups"][0]["group"] == 1
    assert out["vms"][0]["name"] == "1234"


def test_unknown_keys_and_none_are_kept():
    given = {"vms": [{"name": "a", "extra": object, "smoke": None}], "anything": [1, 2]}
    out = _drill_report.check_facts(given)
    assert out["vms"][0]["extra"] is object and out["vms"][0]["smoke"] is None and out["anything"] == [1, 2]


@pytest.mark.parametrize("facts_in,field", [
    ({"plans": "rp-shop"}, "facts.plans"),
    ({"plans": [["rp-shop"]]}, "facts.plans[0]"),
    ({"plans": [{"groups": [{"vms": "web-01"}]}]}, "facts.plans[0].groups[0].vms"),
    ({"plans": [{"job": {"tasks": {"name": "x"}}}]}, "facts.plans[0].job.tasks"),
    ({"plans": [{"job": {"custom_details": {"protectedItemDetails": {}}}}]},
     "facts.plans[0].job.custom_details.protectedItemDetails"),
    ({"plans": [{"hooks": [{"name": {"x": 1}}]}]}, "facts.plans[0].hooks[0].name"),
    ({"vms": [{"recovery_point": "latest"}]}, "facts.vms[0].recovery_point"),
    ({"vms": [{"cleanup": {"job": "job-1"}}]}, "facts.vms[0].cleanup.job"),
    ({"vms": [{"test_vm": {"nics": {"name": "nic"}}}]}, "facts.vms[0].test_vm.nics"),
    ({"vms": [{"smoke": [{"rc": 1.5}]}]}, "facts.vms[0].smoke[0].rc"),
    ({"vms": [{"smoke": [{"rc": True}]}]}, "facts.vms[0].smoke[0].rc"),
    ({"rpo_target_seconds": [60]}, "facts.rpo_target_seconds"),
    ({"title": {"text": "x"}}, "facts.title"),
])
def test_wrong_shapes_name_the_field(facts_in, field):
    with pytest.raises(InputError) as info:
        _drill_report.build(facts_in)
    assert info.value.parameter == field and ("'%s'" % field) in info.value.message
    assert ", not a" in info.value.message


def test_a_long_value_is_cut_in_the_message():
    with pytest.raises(InputError) as info:
        _drill_report.build({"vms": {"x" * 500: 1}})
    assert len(info.value.message) < 400 and "..." in info.value.message
