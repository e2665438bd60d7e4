"""Credentials the Razorpay API stand-in accepts; made up for the tests, valid nowhere else."""

KEY_ID = "rzp_test_StandInKey00001"
KEY_SECRET = "stand-in-key-secret-Q7w3Zr"
WEBHOOK_SECRET = "stand-in-webhook-secret-Lp4Xv"
