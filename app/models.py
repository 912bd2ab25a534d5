"""Every table of the service, for Alembic and tests; the areas import their own modules."""
from app.accounts.models import ApiToken, AuditEntry, User, user_sites
from app.evidence.tables import BannerScreenshot
from app.leaks.tables import LeakSighting
from app.ledger.tables import (
    BannerBuild,
    BannerImpression,
    CanonicalJSON,
    Checkpoint,
    ConsentRecord,
    LedgerHead,
    SubjectKey,
    TextSet,
)
from app.scanner.tables import ScanJob, SiteScan
from app.sites.tables import CatalogVersion, LegalDocument, Site, SiteRevision
from app.tables import Base, Timestamp, utc_now

__all__ = ["ApiToken", "AuditEntry", "BannerBuild", "BannerImpression", "BannerScreenshot", "Base",
           "CanonicalJSON", "CatalogVersion", "Checkpoint", "ConsentRecord", "LeakSighting",
           "LedgerHead", "LegalDocument", "ScanJob", "Site", "SiteRevision", "SiteScan",
           "SubjectKey", "TextSet", "Timestamp", "User", "user_sites", "utc_now"]
