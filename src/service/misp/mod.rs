//! The MISP connector as users and the poller see it: server connections (`servers`), the
//! import of events as alerts (`sync`, delivering through `deliver`), the export of a case
//! (`export`), a case made from an uploaded event (`case_import`) and the status report
//! (`status`). Protocol details live in `integrations::misp`; SQL in `storage::misp`.

pub mod case_import;
pub mod deliver;
pub mod export;
pub mod interval;
pub mod servers;
pub mod settings;
pub mod status;
pub mod sync;
