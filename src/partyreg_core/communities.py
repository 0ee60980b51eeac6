"""Communities of the directory (附表4) as the store keeps them."""

from __future__ import annotations

from datetime import datetime

import attrs

from partyreg_core.directory import place_key
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, DirectoryEntry


def community_key(street: str, community: str) -> str:
    """The key a community is matched by within its district: street and community names as
    :func:`partyreg_core.directory.place_key` compares them (``清河 街道`` is ``清河街道``)."""
    return f"{place_key(street)}/{place_key(community)}"


@attrs.frozen
class FieldEdit:
    """A field of a record changed by hand: which, to what, when and by whom."""

    field: str
    value: str
    at: datetime
    actor: str


@attrs.frozen
class Community:
    """A community of the directory: its id, the aggregator (县区) it belongs to, and the
    columns of 附表4."""

    id: int
    district_code: OrgCode
    district: str
    street: str
    name: str
    phone: str = ""
    qq_group: str = ""
    secretary: str = ""
    mobile: str = ""
    address: str = ""

    @property
    def ref(self) -> CommunityRef:
        """The community's three-part name."""
        return CommunityRef(self.district, self.street, self.name)

    @property
    def label(self) -> str:
        """``县区/街道/社区``."""
        return self.ref.label

    @property
    def key(self) -> str:
        """The match key within the district (:func:`community_key`)."""
        return community_key(self.street, self.name)

    @property
    def entry(self) -> DirectoryEntry:
        """The community as a row of 附表4."""
        return DirectoryEntry(
            district=self.district,
            street=self.street,
            community=self.name,
            phone=self.phone,
            qq_group=self.qq_group,
            secretary=self.secretary,
            mobile=self.mobile,
            address=self.address,
            district_code=self.district_code,
        )
