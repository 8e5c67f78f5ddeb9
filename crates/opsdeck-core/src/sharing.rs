//! The desktop app serving its own console to browsers and phones on the network, so a phone
//! can be paired with it. What is shared and how (address, certificate) is a desktop
//! preference; serving it is the shell's job, with the same server `opsdeck serve` uses.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(default)]
pub struct NetworkSharing {
    pub enabled: bool,
    /// Address and port to listen on, e.g. `0.0.0.0:7443` (every interface).
    pub listen: String,
    /// PEM certificate chain (leaf first); required unless `listen` is a loopback address.
    pub tls_cert: Option<String>,
    /// PEM private key of the certificate.
    pub tls_key: Option<String>,
}

impl Default for NetworkSharing {
    fn default() -> Self {
        NetworkSharing {
            enabled: false,
            listen: "0.0.0.0:7443".into(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// Whether the console is being shared, where, or why not.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
pub struct SharingStatus {
    /// Where it listens (`https://0.0.0.0:7443/`), while it does.
    pub listening: Option<String>,
    /// The address to give a phone: from the certificate's first DNS name (the name the phone
    /// must use for the certificate to be accepted), else the listening address.
    pub suggested_url: Option<String>,
    /// Why sharing is not running although it is turned on.
    pub error: Option<String>,
}

/// The first DNS name (or IP address) a PEM certificate is issued for, to build the URL a phone
/// should open.
pub fn certificate_name(pem: &[u8]) -> Option<String> {
    use x509_parser::extensions::GeneralName;
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).ok()?;
    let cert = pem.parse_x509().ok()?;
    let san = cert.subject_alternative_name().ok().flatten()?;
    san.value.general_names.iter().find_map(|n| match n {
        GeneralName::DNSName(d) if !d.starts_with('*') => Some(d.to_string()),
        GeneralName::IPAddress(ip) if ip.len() == 4 => {
            Some(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string())
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_url_comes_from_the_certificate_name() {
        let key = rcgen::KeyPair::generate().unwrap();
        let names = vec![
            "*.example.com".to_string(),
            "desk-42.example.com".to_string(),
        ];
        let cert = rcgen::CertificateParams::new(names)
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(
            certificate_name(cert.pem().as_bytes()).as_deref(),
            Some("desk-42.example.com")
        );
        let ip = rcgen::CertificateParams::new(vec!["192.168.1.20".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(
            certificate_name(ip.pem().as_bytes()).as_deref(),
            Some("192.168.1.20")
        );
        assert_eq!(certificate_name(b"not a certificate"), None);
    }
}
