"""Does a JSON payload fit an Azure SDK model exactly?

`misfits(ModelClass, payload)` walks the payload along the model's REST fields (the hybrid models
that azure-mgmt-* packages generate from TypeSpec), resolving polymorphic types through their
discriminator (`instanceType`, ...), and returns every key the model does not know and every value
of the wrong JSON type. An empty list means the SDK deserializes the payload with no field lost or
unknown.
"""
import datetime
import enum
import sys
import typing

_LEAF_TYPES = {str: (str,), int: (int,), float: (int, float), bool: (bool,),
               datetime.datetime: (str,), datetime.date: (str,), datetime.timedelta: (str,),
               bytes: (str,), typing.Any: (object,), object: (object,)}


def _is_model(tp):
    return isinstance(tp, type) and hasattr(tp, "_attr_to_rest_field") or (
        isinstance(tp, type) and any(getattr(b, "__name__", "") == "Model" for b in tp.__mro__[1:]))


def _fields(cls):
    """{rest_name: annotation} of a hybrid model class (computes the class's field table)."""
    try:
        cls.__new__(cls)
    except TypeError:
        pass
    module = sys.modules[cls.__module__]
    ns = dict(vars(module))
    ns.setdefault("_models", module)
    hints = {}
    for klass in reversed(cls.__mro__):
        for name, ann in getattr(klass, "__annotations__", {}).items():
            hints[name] = _resolve(ann, ns)
    out = {}
    for attr, rf in getattr(cls, "_attr_to_rest_field", {}).items():
        out[rf._rest_name] = (hints.get(attr, typing.Any), rf)
    return out


def _resolve(ann, ns):
    """Evaluate string and forward-reference annotations (also nested in Optional/list/dict)."""
    try:
        if isinstance(ann, str):
            return _resolve(eval(ann, ns), ns)  # pylint: disable=eval-used
        if isinstance(ann, typing.ForwardRef):
            return _resolve(eval(ann.__forward_arg__, ns), ns)  # pylint: disable=eval-used
    except Exception:  # pylint: disable=broad-except
        return typing.Any
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union:
        return typing.Union[tuple(_resolve(a, ns) for a in args)]
    if origin is list and args:
        return typing.List[_resolve(args[0], ns)]
    if origin is dict and len(args) == 2:
        return typing.Dict[args[0], _resolve(args[1], ns)]
    return ann


def _resolve_polymorphic(cls, payload, seen):
    mapping = getattr(cls, "__mapping__", None)
    if not mapping or not isinstance(payload, dict):
        return cls
    for rest_name, (_ann, rf) in _fields(cls).items():
        if rf._is_discriminator and rest_name not in seen:
            value = payload.get(rest_name)
            sub = mapping.get(value)
            if sub is None:
                return cls
            seen = seen + [rest_name]
            return _resolve_polymorphic(sub, payload, seen)
    return cls


def _unwrap(ann):
    origin = typing.get_origin(ann)
    if origin is typing.Union:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        models = [a for a in args if _is_model(a)]
        if models:
            return models[0]
        containers = [a for a in args if typing.get_origin(a) in (list, dict)]
        if containers:
            return containers[0]
        return args[0] if len(args) == 1 else typing.Any
    if isinstance(ann, typing.ForwardRef):
        return typing.Any
    return ann


def misfits(cls, payload, path="$"):
    """Every mismatch between payload and the model class, as readable strings."""
    problems = []
    base = cls
    cls = _resolve_polymorphic(cls, payload, [])
    if cls is base and getattr(base, "__mapping__", None) and isinstance(payload, dict):
        for rest_name, (_ann, rf) in _fields(base).items():
            if rf._is_discriminator and payload.get(rest_name) is not None and payload[rest_name] not in base.__mapping__:
                problems.append("%s.%s: %r is not a known %s type (known: %s)" % (
                    path, rest_name, payload[rest_name], base.__name__, ", ".join(sorted(base.__mapping__))))
    if not isinstance(payload, dict):
        return ["%s: expected an object for %s, got %s" % (path, cls.__name__, type(payload).__name__)]
    fields = _fields(cls)
    for key, value in payload.items():
        if key not in fields:
            problems.append("%s.%s: not a field of %s" % (path, key, cls.__name__))
            continue
        if value is None:
            continue
        problems.extend(_check(fields[key][0], value, "%s.%s" % (path, key)))
    return problems


def _check(ann, value, path):
    ann = _unwrap(ann)
    origin = typing.get_origin(ann)
    if _is_model(ann):
        return misfits(ann, value, path)
    if origin is list:
        if not isinstance(value, list):
            return ["%s: expected a list, got %s" % (path, type(value).__name__)]
        (item,) = typing.get_args(ann) or (typing.Any,)
        out = []
        for i, v in enumerate(value):
            if v is not None:
                out.extend(_check(item, v, "%s[%d]" % (path, i)))
        return out
    if origin is dict:
        if not isinstance(value, dict):
            return ["%s: expected an object, got %s" % (path, type(value).__name__)]
        args = typing.get_args(ann)
        item = args[1] if len(args) == 2 else typing.Any
        out = []
        for k, v in value.items():
            if v is not None:
                out.extend(_check(item, v, "%s.%s" % (path, k)))
        return out
    if origin is typing.Literal:
        return []
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return [] if isinstance(value, str) else ["%s: expected a string enum, got %r" % (path, value)]
    allowed = _LEAF_TYPES.get(ann)
    if allowed is None:
        return []
    if bool in allowed and not isinstance(value, bool):
        return ["%s: expected a boolean, got %r" % (path, value)]
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed and object not in allowed):
        return ["%s: expected %s, got %r" % (path, "/".join(t.__name__ for t in allowed), value)]
    return []


def assert_fits(cls, payload):
    problems = misfits(cls, payload)
    assert not problems, "payload does not fit %s:\n  %s" % (cls.__name__, "\n  ".join(problems))
