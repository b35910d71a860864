//! Share links: the Runefile travels in the URL fragment (`#runefile=<deflate + base64url>`),
//! so nothing is uploaded anywhere; the page reads it on load, then removes it from the address
//! (a reload keeps the user's later edits). A QR code of the link opens it on a phone.
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The fragment's key.
pub const FRAGMENT_KEY: &str = "runefile=";
/// Largest Runefile a link may carry once inflated.
pub const MAX_SHARED_BYTES: usize = 1024 * 1024;
/// Longest link a QR code is drawn for (QR version 40 holds 2 953 bytes at level L; phones read
/// much smaller codes reliably).
pub const MAX_QR_CHARS: usize = 1800;

/// The fragment (without `#`) that carries `source`.
pub fn encode(source: &str) -> String {
    let packed = miniz_oxide::deflate::compress_to_vec(source.as_bytes(), 9);
    format!("{FRAGMENT_KEY}{}", URL_SAFE_NO_PAD.encode(packed))
}

/// The Runefile in a fragment (with or without `#`): `None` when the fragment carries none,
/// else the text or why it cannot be read.
pub fn decode(fragment: &str) -> Option<Result<String, String>> {
    let data = fragment.trim_start_matches('#').strip_prefix(FRAGMENT_KEY)?;
    let fail = |why: &str| Some(Err(format!("The shared link's Runefile cannot be read: {why}.")));
    let Ok(packed) = URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')) else {
        return fail("the link is damaged (it is not base64url)");
    };
    let bytes = match miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_SHARED_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
            return fail("it is larger than 1 MiB");
        }
        Err(_) => return fail("the link is damaged (it is cut short or altered)"),
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(Ok(text)),
        Err(_) => fail("it is not UTF-8 text"),
    }
}

/// The link to share: `page` (the address without its fragment) with the Runefile's fragment.
pub fn link(page: &str, source: &str) -> String {
    let page = page.split('#').next().unwrap_or(page);
    format!("{page}#{}", encode(source))
}

/// A QR code of `text` as SVG, or why there is none.
pub fn qr_svg(text: &str) -> Result<String, String> {
    if text.len() > MAX_QR_CHARS {
        return Err(format!(
            "The link is {} characters, too long for a QR code a phone reads well ({MAX_QR_CHARS} at most).",
            text.len()
        ));
    }
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L)
        .map_err(|e| format!("No QR code: {e}."))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#0f172a"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runefile_survives_the_round_trip_through_a_link() {
        let source = "# Größe 🦀\nversion: 1\nimage: runicos/base\npipeline:\n  rand:\n    capability: RAND\n";
        let link = link("http://192.168.1.2:8090/?rune=rune/x.rune#old", source);
        assert!(link.starts_with("http://192.168.1.2:8090/?rune=rune/x.rune#runefile="), "{link}");
        let fragment = link.split_once('#').map(|(_, f)| f).unwrap_or_default();
        assert!(fragment.chars().all(|c| c.is_ascii_alphanumeric() || "=-_".contains(c)), "{fragment}");
        assert_eq!(decode(fragment), Some(Ok(source.to_string())));
        assert_eq!(decode(&format!("#{fragment}")), Some(Ok(source.to_string())));
        assert_eq!(decode(""), None);
        assert_eq!(decode("#section-2"), None);
    }

    #[test]
    fn damaged_or_huge_links_are_refused_with_a_reason() {
        assert!(decode("runefile=***").is_some_and(|r| r.is_err_and(|e| e.contains("not base64url"))));
        let good = encode("version: 1\n");
        let cut = &good[..good.len() - 3];
        assert!(decode(cut).is_some_and(|r| r.is_err_and(|e| e.contains("damaged"))));
        let bomb = encode(&"a".repeat(MAX_SHARED_BYTES + 1));
        assert!(bomb.len() < 10_000, "deflate packs repeated text");
        assert!(decode(&bomb).is_some_and(|r| r.is_err_and(|e| e.contains("larger than 1 MiB"))));
        let not_text = format!(
            "{FRAGMENT_KEY}{}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&[0xff, 0xfe], 9))
        );
        assert!(decode(&not_text).is_some_and(|r| r.is_err_and(|e| e.contains("UTF-8"))));
    }

    #[test]
    fn qr_codes_are_svg_and_long_links_get_a_reason() {
        let svg = qr_svg("http://192.168.1.2:8090/?rune=rune/food.rune").expect("a QR code");
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<svg") && svg.contains("#0f172a"));
        assert!(qr_svg(&"x".repeat(MAX_QR_CHARS + 1)).is_err_and(|e| e.contains("too long")));
    }
}
