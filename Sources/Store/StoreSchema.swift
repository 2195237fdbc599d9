/// The newest schema this build knows on each backend, named by its migration's number: two
/// returnd builds with the same pair can share a store both ways, whatever their release says.
public enum StoreSchema {
    /// "v19" of "v19: idempotency keys' fingerprints beside their bytes".
    public static var sqlite: String { number(SQLiteMigrations.migrator.migrations.last ?? "") }
    public static var postgres: String { number(PostgresMigrations.all.last?.id ?? "") }

    static func number(_ id: String) -> String {
        String(id.prefix { $0 != ":" })
    }
}
