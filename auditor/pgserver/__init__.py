"""pgserver"""
