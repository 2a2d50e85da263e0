"""Phone numbers: the DIDs an account holds (Kazoo's ``phone_numbers``)."""
