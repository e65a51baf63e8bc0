from .applicant import router as applicant_router
from .auth import router as auth_router
from .campaigns import router as campaigns_router
from .claims import router as claims_router
from .clients import router as clients_router
from .credits import router as credits_router
from .errors import install_handlers
from .openapi import RegistryApi
from .parser import RegistryParser
from .reference import router as reference_router
from .review import router as review_router
from .staff import router as staff_router
from .stats import router as stats_router
from .verification import router as verification_router

api = RegistryApi(
    title="会计人员信息管理系统 API",
    version="1",
    description="Accountant Registry JSON API (v1). 错误均以 application/problem+json 返回，见 API.md。",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    parser=RegistryParser(),
)
install_handlers(api)
api.add_router("/", auth_router)
api.add_router("/", applicant_router)
api.add_router("/", claims_router)
api.add_router("/", staff_router)
api.add_router("/", review_router)
api.add_router("/", reference_router)
api.add_router("/", clients_router)
api.add_router("/", credits_router)
api.add_router("/", campaigns_router)
api.add_router("/", stats_router)
api.add_router("/", verification_router)
