"""The one home of the tests' database objects: factory-boy factories by app, re-exported here.

    from tests.factories import InstitutionFactory, SettlementFactory
    from tests import factories as f; f.SuspectItemFactory(confirmed=True)

One module per app (insurance, policy_rules, claims, review, fund_budget), so a module follows its app when
the application is split. FACTORIES maps every domain model's label to its factory (the admin tests render
each one). The pure engine's frame builders are not database objects: they stay in tests/engine."""

from .claims import FACTORIES as _CLAIMS_FACTORIES
from .claims import (  # noqa: F401
    AccumulatorFactory,
    DailyJobFactory,
    FeeLineFactory,
    InstitutionAuditStatsFactory,
    InstitutionDailySummaryFactory,
    PaidSettlementFactory,
    ReversalFactory,
    SettlementAccumulationFactory,
    SettlementFactory,
    SettlementLineFactory,
    UploadFactory,
    UploadJobFactory,
    VisitFactory,
)
from .common import (  # noqa: F401
    DEMO_PACK_PATH,
    ROOT,
    D,
    demo_pack,
    local_dt,
)
from .fund_budget import FACTORIES as _FUND_BUDGET_FACTORIES
from .fund_budget import (  # noqa: F401
    FUND_READ_ONLY,
    AuditDeductionFactory,
    CapitationContractFactory,
    CapitationPenaltyFactory,
    CapitationReconciliationFactory,
    ClearingLineFactory,
    ClearingReportFactory,
    DisbursementFactory,
    DistrictBudgetFactory,
    FundBudgetFactory,
    FundThresholdFactory,
    FundYearParametersFactory,
    IndexNegotiationFactory,
    InstitutionIndexFactory,
    MonthlyRunFactory,
    MonthlyStatementFactory,
    NegotiationStepFactory,
    PaymentStandardFactory,
    StatementLineFactory,
    StatementMethodLineFactory,
)
from .insurance import FACTORIES as _INSURANCE_FACTORIES
from .insurance import (  # noqa: F401
    AccountMovementFactory,
    EnrollmentFactory,
    InstitutionFactory,
    InstitutionUserFactory,
    InsuredPersonFactory,
    PersonalAccountFactory,
    PersonFactory,
    TokenFactory,
    UserFactory,
    certno_for,
    institution_user,
    make_certno,
)
from .policy_rules import FACTORIES as _POLICY_RULES_FACTORIES
from .policy_rules import (  # noqa: F401
    AuditRuleDefinitionFactory,
    CatalogItemFactory,
    DemoPolicyFactory,
    PolicyVersionFactory,
)
from .review import FACTORIES as _REVIEW_FACTORIES
from .review import (  # noqa: F401
    AppealFactory,
    AuditHitFactory,
    ReviewEventFactory,
    SuspectItemFactory,
)

FUND_FACTORIES = _FUND_BUDGET_FACTORIES
FACTORIES = {**_INSURANCE_FACTORIES, **_POLICY_RULES_FACTORIES, **_CLAIMS_FACTORIES, **_REVIEW_FACTORIES,
             **_FUND_BUDGET_FACTORIES}
