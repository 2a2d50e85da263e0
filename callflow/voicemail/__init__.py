"""Voicemail: what the ``voicemail`` callflow module is made of (Kazoo's cf_voicemail and
kvm_*), one job per file.

* :mod:`~callflow.voicemail.messages`: message documents (``mailbox_message``), shared
  with the vmbox messages API;
* :mod:`~callflow.voicemail.mailbox`: a box as the module sees it (its document, its
  owner, the account's limits);
* :mod:`~callflow.voicemail.prompts`: the system prompts;
* :mod:`~callflow.voicemail.steps`: the steps that read and write documents;
* :mod:`~callflow.voicemail.compose` and :mod:`~callflow.voicemail.check`: leaving a
  message, and checking a box.
"""
