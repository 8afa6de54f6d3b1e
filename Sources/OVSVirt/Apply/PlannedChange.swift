import VSwitch

/// One change `apply` makes (or `plan` says it would make), in the words of the objects involved:
/// on the switch ("bridge ovsbr0") or in libvirt ("network ovsvl", "domain web1 NIC …"). The same
/// kind, subject and detail as VSwitch's own changes, so OVS changes pass through as they are.
public typealias PlannedChange = SwitchChange
