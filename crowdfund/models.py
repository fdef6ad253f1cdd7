"""Import every model module so that the metadata (and Alembic) sees all tables."""

from crowdfund.auth.api_tokens import ApiToken  # noqa: F401
from crowdfund.auth.models import (  # noqa: F401
    IdentityVerification,
    LoginAttempt,
    User,
    UserSession,
)
from crowdfund.campaigns.add_on_models import AddOn, AddOnShippingRate  # noqa: F401
from crowdfund.campaigns.faq import FaqEntry  # noqa: F401
from crowdfund.campaigns.funding import FlexibleFundingChange, FlexibleFundingOff  # noqa: F401
from crowdfund.campaigns.models import (  # noqa: F401
    BudgetLine,
    Campaign,
    CampaignTransition,
    RewardTier,
    ShippingRate,
)
from crowdfund.community.counts import CampaignCounts  # noqa: F401
from crowdfund.community.models import (  # noqa: F401
    CampaignReport,
    CampaignUpdate,
    Comment,
    CommentReport,
    CommentTransition,
    DeliveryReport,
    Follow,
    SpendingReport,
)
from crowdfund.equity.models import (  # noqa: F401
    Holding,
    InvestorProfile,
    Offering,
    OfferingChange,
    OfferingDocument,
)
from crowdfund.equity.rate_models import ExchangeRate, ExchangeRateLoad  # noqa: F401
from crowdfund.fleet import ProcessHeartbeat  # noqa: F401
from crowdfund.fulfilment.models import (  # noqa: F401
    FulfilmentTier,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)
from crowdfund.ledger.models import LedgerEntry, LedgerTransaction  # noqa: F401
from crowdfund.notifications.models import OutboxMessage  # noqa: F401
from crowdfund.payments.models import WebhookEvent  # noqa: F401
from crowdfund.pledges.models import Pledge, PledgeAddOn, PledgeTransition  # noqa: F401
from crowdfund.pledges.summary import CampaignDayTotal  # noqa: F401
from crowdfund.queue import Job  # noqa: F401
from crowdfund.settlement.books.models import (  # noqa: F401
    DifferenceTransition,
    GatewayDifference,
    GatewayReconciliation,
)
from crowdfund.settlement.models import (  # noqa: F401
    ChargeAttempt,
    ChargeTransition,
    Dispute,
    DisputeTransition,
    Payout,
    PayoutTransition,
    Refund,
    RefundTransition,
)
from crowdfund.storage import FileRow  # noqa: F401
from crowdfund.supervision import JobFailure  # noqa: F401
