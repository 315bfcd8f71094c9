// Command ids, as contributed in package.json.
export const Commands = {
  trainVoice: 'voiceDraft.trainVoice',
  rewriteSelection: 'voiceDraft.rewriteSelection',
  importWriting: 'voiceDraft.importWriting',
  showDashboard: 'voiceDraft.showDashboard',
  toggleInline: 'voiceDraft.toggleInline',
  evaluateVoice: 'voiceDraft.evaluateVoice',
  setupEngine: 'voiceDraft.setupEngine',
  manageVoices: 'voiceDraft.manageVoices',
  deleteRemoteCopy: 'voiceDraft.deleteRemoteCopy',
  continueParagraph: 'voiceDraft.continueParagraph',
  acceptRewrite: 'voiceDraft.acceptRewrite',
  rejectRewrite: 'voiceDraft.rejectRewrite',
  chooseRewrite: 'voiceDraft.chooseRewrite',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
