import VirtXML

/// The few facts the end-to-end test reads from a domain's live XML.
enum VirtXMLFacade {
  struct NIC {
    var mac: String?
    var target: String?
    var interfaceID: String?
  }

  static func interfaces(_ xml: String) throws -> [NIC] {
    try DomainInterface.all(inDomainXML: xml).map {
      NIC(mac: $0.mac, target: $0.targetDevice, interfaceID: $0.interfaceID)
    }
  }
}
