// The command registry (oclif "explicit" discovery). The single executable embeds this same map.
import Agent from './commands/agent.js'
import Completion from './commands/completion.js'
import CredentialProcess from './commands/credential-process.js'
import Del from './commands/del.js'
import Doctor from './commands/doctor.js'
import Exec from './commands/exec.js'
import Get from './commands/get.js'
import Help from './commands/help.js'
import Init from './commands/init.js'
import List from './commands/list.js'
import Passphrase from './commands/passphrase.js'
import Relock from './commands/relock.js'
import Set from './commands/set.js'
import Unlock from './commands/unlock.js'

export const COMMANDS = {
  set: Set,
  get: Get,
  exec: Exec,
  list: List,
  del: Del,
  unlock: Unlock,
  relock: Relock,
  doctor: Doctor,
  init: Init,
  passphrase: Passphrase,
  agent: Agent,
  'credential-process': CredentialProcess,
  help: Help,
  completion: Completion,
}
