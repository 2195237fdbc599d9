import Store

/// What `--version`, the start-up log and `returnd_build_info` say this build is.
public enum ReturndVersion {
    /// Raised by hand with each release (README, "Which version runs").
    public static let release = "0.9.0"

    /// The release and the newest store schema on each backend. The schema numbers come from the
    /// migrations themselves, so they are right even in a build whose release was not raised.
    public static var line: String {
        "\(release) (store schema: SQLite \(StoreSchema.sqlite), PostgreSQL \(StoreSchema.postgres))"
    }
}
