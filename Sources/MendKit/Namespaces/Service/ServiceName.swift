/// Service names as each manager spells them, checked before any tool sees them.
enum ServiceName {
    /// The unit types systemd knows: a name ending in one of them keeps its suffix.
    static let unitTypes: Set<Substring> = ["service", "socket", "device", "mount", "automount", "swap", "target",
                                            "path", "timer", "slice", "scope"]

    /// The name `manager` knows a service by: for systemd the full unit name (`node` →
    /// `node.service`, `app@node1` → `app@node1.service`), for OpenRC and SysV the init script's
    /// name (a `.service` suffix dropped, so one runbook names a service the same way everywhere).
    /// Only the characters systemd allows in unit names (ASCII letters, digits and `:-_.\@`): a
    /// name with `/`, spaces or control characters would name a different file or another argument.
    static func canonical(_ name: String, for manager: String, in builtin: String) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("."), !name.hasPrefix("-"),
              name.unicodeScalars.allSatisfy(isUnitNameCharacter) else {
            throw MendError("\(builtin): \(Value.quote(Value.escapingControlCharacters(name))) is not a service name "
                            + "such as \"node\", \"node.service\" or \"app@node1\"")
        }
        if manager == "systemd" {
            if let dot = name.lastIndex(of: "."), unitTypes.contains(name[name.index(after: dot)...]) { return name }
            return name + ".service"
        }
        let script = name.hasSuffix(".service") ? String(name.dropLast(".service".count)) : name
        guard !script.isEmpty, !script.contains("@") else {
            throw MendError("\(builtin): \(Value.quote(name)) is a systemd template name; \(manager) names services by their init script")
        }
        return script
    }

    static func isUnitNameCharacter(_ c: Unicode.Scalar) -> Bool {
        (c.isASCII && c.properties.isAlphabetic) || ("0"..."9").contains(c) || ":-_.\\@".unicodeScalars.contains(c)
    }

    /// The template of an instance (`app@node1.service` → `app@.service`); nil for other names.
    static func template(of unit: String) -> String? {
        guard let at = unit.firstIndex(of: "@"), let dot = unit.lastIndex(of: "."), at < dot else { return nil }
        let instance = unit[unit.index(after: at)..<dot]
        guard !instance.isEmpty else { return nil }
        return String(unit[...at]) + String(unit[dot...])
    }

    /// True for a template's own name (`app@.service`).
    static func isTemplate(_ unit: String) -> Bool {
        guard let at = unit.firstIndex(of: "@") else { return false }
        return unit[unit.index(after: at)...].hasPrefix(".")
    }

    /// Names close to `unit` for a "did you mean": the known names, and for an instance of an
    /// unknown template the same instance of each known template (`ap@node1` → `app@node1`).
    static func suggestion(for unit: String, among known: [String]) -> String? {
        var candidates = known
        if let at = unit.firstIndex(of: "@"), let dot = unit.lastIndex(of: "."), at < dot {
            let instance = unit[unit.index(after: at)..<dot]
            for name in known where isTemplate(name) {
                guard let nameAt = name.firstIndex(of: "@") else { continue }
                candidates.append(String(name[...nameAt]) + instance + String(name[name.index(after: nameAt)...]))
            }
        }
        return Suggest.closest(to: unit, in: candidates)
    }
}
