import { CASES, crashCampaign } from '../../support/crash-campaign.js'

// The fault campaign for aws.iam.sso (the real aws CLI against the fake): see test/support/crash-campaign.ts.
crashCampaign(CASES['aws.iam.sso'])
