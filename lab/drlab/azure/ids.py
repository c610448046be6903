"""ARM resource ids: parsed, case-preserving, compared case-insensitively.

    /subscriptions/{s}
    /subscriptions/{s}/resourceGroups/{rg}
    /subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t1}/{n1}[/{t2}/{n2}...]
    /subscriptions/{s}/providers/{ns}/{t1}/{n1}[...]          (subscription-level resources)

A resource group's full type is `Microsoft.Resources/resourceGroups`, a subscription's
`Microsoft.Resources/subscriptions`. `ResourceId.id` keeps the casing it was built from;
`key` is the lower-cased id used for comparisons and storage keys.
"""
from urllib.parse import quote, unquote

RG_TYPE = "Microsoft.Resources/resourceGroups"
SUB_TYPE = "Microsoft.Resources/subscriptions"


class InvalidResourceId(ValueError):
    pass


def split_path(path):
    """URL path -> list of decoded segments (empty segments dropped)."""
    return [unquote(s) for s in path.split("/") if s]


def join_path(segments):
    return "/" + "/".join(quote(s, safe="@:!$&'()*+,;=-._~ ") for s in segments)


class ResourceId:
    __slots__ = ("subscription", "resource_group", "namespace", "types", "names")

    def __init__(self, subscription, resource_group=None, namespace=None, types=(), names=()):
        self.subscription = subscription
        self.resource_group = resource_group
        self.namespace = namespace
        self.types = list(types)
        self.names = list(names)

    # -- derived ------------------------------------------------------------------------------
    @property
    def is_subscription(self):
        return self.resource_group is None and not self.namespace

    @property
    def is_resource_group(self):
        return self.resource_group is not None and not self.namespace

    @property
    def full_type(self):
        if self.namespace:
            return "/".join([self.namespace] + self.types)
        return RG_TYPE if self.resource_group is not None else SUB_TYPE

    @property
    def type_key(self):
        return self.full_type.lower()

    @property
    def name(self):
        if self.names:
            return self.names[-1]
        if self.resource_group is not None:
            return self.resource_group
        return self.subscription

    @property
    def parent(self):
        """The parent resource (nested types), else None (top-level resources and groups)."""
        if self.namespace and len(self.types) > 1:
            return ResourceId(self.subscription, self.resource_group, self.namespace,
                              self.types[:-1], self.names[:-1])
        return None

    @property
    def top(self):
        """The top-level resource of a nested one (itself when top-level)."""
        if self.namespace and len(self.types) > 1:
            return ResourceId(self.subscription, self.resource_group, self.namespace,
                              self.types[:1], self.names[:1])
        return self

    @property
    def subscription_id(self):
        return "/subscriptions/%s" % self.subscription

    @property
    def resource_group_id(self):
        if self.resource_group is None:
            return None
        return "/subscriptions/%s/resourceGroups/%s" % (self.subscription, self.resource_group)

    @property
    def scope(self):
        """Where the resource lives: its parent's id, else its group's, else the subscription's."""
        parent = self.parent
        if parent is not None:
            return parent.id
        if self.namespace and self.resource_group is not None:
            return self.resource_group_id
        return self.subscription_id

    @property
    def id(self):
        segs = ["subscriptions", self.subscription]
        if self.resource_group is not None:
            segs += ["resourceGroups", self.resource_group]
        if self.namespace:
            segs += ["providers", self.namespace]
            for t, n in zip(self.types, self.names):
                segs += [t, n]
        return "/" + "/".join(segs)

    @property
    def key(self):
        return self.id.lower()

    def child(self, type_segment, name):
        if not self.namespace:
            raise InvalidResourceId("only provider resources have child resources")
        return ResourceId(self.subscription, self.resource_group, self.namespace,
                          self.types + [type_segment], self.names + [name])

    def with_casing(self, full_type=None, resource_group=None):
        """A copy with the casing of the registered type and of the stored group name."""
        rid = ResourceId(self.subscription, self.resource_group, self.namespace, self.types, self.names)
        if full_type and self.namespace:
            parts = full_type.split("/")
            if len(parts) == len(self.types) + 1 and parts[0].lower() == self.namespace.lower():
                rid.namespace = parts[0]
                rid.types = parts[1:]
        if resource_group is not None and self.resource_group is not None:
            rid.resource_group = resource_group
        return rid

    # -- comparisons ------------------------------------------------------------------------------
    def __eq__(self, other):
        if isinstance(other, ResourceId):
            return self.key == other.key
        if isinstance(other, str):
            return self.key == other.lower().rstrip("/")
        return NotImplemented

    def __hash__(self):
        return hash(self.key)

    def __str__(self):
        return self.id

    def __repr__(self):
        return "ResourceId(%r)" % self.id


def parse_segments(segs):
    """Segments of a resource id -> ResourceId; raises InvalidResourceId."""
    if len(segs) < 2 or segs[0].lower() != "subscriptions":
        raise InvalidResourceId("/" + "/".join(segs))
    sub = segs[1]
    rest = segs[2:]
    rg = None
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            raise InvalidResourceId("/" + "/".join(segs))
        rg = rest[1]
        rest = rest[2:]
    if not rest:
        return ResourceId(sub, rg)
    if rest[0].lower() != "providers" or len(rest) < 4 or len(rest) % 2 != 0:
        raise InvalidResourceId("/" + "/".join(segs))
    ns = rest[1]
    chain = rest[2:]
    return ResourceId(sub, rg, ns, chain[0::2], chain[1::2])


def parse(value):
    """A resource id string (or ResourceId) -> ResourceId; raises InvalidResourceId."""
    if isinstance(value, ResourceId):
        return value
    if not isinstance(value, str) or not value.startswith("/"):
        raise InvalidResourceId(repr(value))
    return parse_segments(split_path(value.split("?", 1)[0]))


def try_parse(value):
    try:
        return parse(value)
    except InvalidResourceId:
        return None
