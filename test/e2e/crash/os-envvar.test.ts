import { CASES, crashCampaign } from '../../support/crash-campaign.js'

// The fault campaign for os.envvar: see test/support/crash-campaign.ts.
crashCampaign(CASES['os.envvar'])
