//! diesel's errors in the terms of the ports.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use nerutalk_ports::{ConflictField, PortError};

/// Maps a diesel error to what a use case can act on. Unique violations name
/// their field by constraint (PostgreSQL) or column (SQLite's message).
pub(crate) fn map_diesel(error: DieselError) -> PortError {
    match error {
        DieselError::NotFound => PortError::NotFound,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let culprit = info
                .constraint_name()
                .unwrap_or_else(|| info.message())
                .to_owned();
            PortError::Conflict(
                if culprit.contains("users_email") || culprit.contains("users.email") {
                    ConflictField::Email
                } else if culprit.contains("users_username") || culprit.contains("users.username") {
                    ConflictField::Username
                } else {
                    ConflictField::Other
                },
            )
        }
        // A row that points at a missing parent: the parent is what was not found.
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            PortError::NotFound
        }
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            ref info,
        ) => PortError::unavailable(info.message().to_owned()),
        DieselError::DatabaseError(_, ref info)
            if info.message().contains("database is locked") =>
        {
            PortError::unavailable(info.message().to_owned())
        }
        other => PortError::internal(other),
    }
}

/// An update or delete that touched no row addressed a row that is not there.
pub(crate) fn require_row(rows: usize) -> Result<(), DieselError> {
    if rows == 0 {
        Err(DieselError::NotFound)
    } else {
        Ok(())
    }
}
