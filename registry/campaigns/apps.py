from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "registry.campaigns"
    label = "campaigns"
    verbose_name = "集中核查"

    def ready(self):
        # "Campaign non-responders" is an audience of notices; notices must not import campaigns.
        from registry.notices.audiences import register_audience

        from .selectors import check_campaign_audience, nonresponder_user_ids

        register_audience("campaign_nonresponders", nonresponder_user_ids, check=check_campaign_audience)
