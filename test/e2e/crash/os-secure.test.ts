import { CASES, crashCampaign } from '../../support/crash-campaign.js'

// The fault campaign for os.secure: see test/support/crash-campaign.ts.
crashCampaign(CASES['os.secure'])
